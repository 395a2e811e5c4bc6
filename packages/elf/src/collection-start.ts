/**
 * The first step of a collection load, shared by {@link loadCollection} and
 * `loadCollectionAsync`: check the spec and options, load the object's BTF, create its maps, and
 * the context its programs are then prepared and loaded with.
 */
import { Btf, btfExtLayout, parseBtfExt } from '@ts-ebpf/btf';
import { type LoadedBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import { SymbolBind, SymbolType } from '@ts-ebpf/elf-reader';
import { type Program, StructOps } from '@ts-ebpf/programs';
import { BpfSyscallError, type BpfToken, kernelVersion, progBindMap } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { BtfMapSpec } from './btf-maps.js';
import { ByteArena } from './byte-arena.js';
import { Collection } from './collection.js';
import type { CollectionOptions } from './collection-options.js';
import {
  type CollectionSpec,
  checkBpfTarget,
  loadCollectionSpec,
  type ProgramSpec,
} from './collection-spec.js';
import { createMaps, kernelName } from './create-maps.js';
import { ElfError, ElfTargetError, NameNotFoundError, ObjectBtfError, SpecEditError } from './errors.js';
import { ExtInfoSource } from './ext-info.js';
import { buildKconfig, type KconfigData } from './kconfig.js';
import { KernelFacts, type LoadContext, LoadTargets } from './load-context.js';
import { checkUncreatedMaps } from './map-autocreate.js';
import { resolveMapReplacements } from './map-replacements.js';
import { readKernelConfig } from './node-config.js';
import { type FixedObjectBtf, fixObjectBtf, typelessKsymNames } from './object-btf.js';
import { checkPlugins } from './plugin-check.js';
import { type ProgramTarget, programTarget } from './program-target.js';
import { planStructOps, structOpsMembers } from './struct-ops.js';
import { checkUsdtMaps } from './usdt/spec-map.js';
import { rewriteConstants } from './variables.js';
import { withVirtualKconfig } from './virtual-kconfig.js';

function kconfigFor(
  spec: CollectionSpec,
  btf: Btf | undefined,
  options: CollectionOptions,
  token: BpfToken | undefined,
): KconfigData | undefined {
  const datasec = btf?.find('.kconfig', 'datasec');
  if (!btf || !datasec) return undefined;
  const source = options.kconfig ?? readKernelConfig;
  const names = datasec.vars.map((v) => btf.type(v.type).name);
  const config = withVirtualKconfig(typeof source === 'function' ? source() : source, names, token);
  const weak = new Set(spec.elf.symbols.filter((s) => s.bind === SymbolBind.WEAK).map((s) => s.name));
  return buildKconfig(btf, config, kernelVersion().code, (n) => weak.has(n));
}

/**
 * A collection whose maps and BTF exist and whose programs are being loaded: what
 * {@link loadCollection} and `loadCollectionAsync` share.
 * @internal
 */
export interface CollectionLoad {
  /** The collection being filled; closing it releases everything created so far. */
  readonly collection: Collection;
  /** What every program is loaded against. */
  readonly context: LoadContext;
  /** The programs to load, in declaration order. */
  readonly toLoad: readonly ProgramSpec[];
  /** Adds a loaded program (in declaration order) and binds it as libbpf does. */
  loaded(name: string, program: Program): void;
  /** Fills initial values and creates the struct_ops maps, once every program is loaded. */
  finish(): Collection;
}

/**
 * Checks the spec and options, loads the object's BTF and creates its maps. Everything created
 * is closed again when this throws.
 * @internal
 */
export function startCollection(
  source: Uint8Array | CollectionSpec,
  options: CollectionOptions,
  token: BpfToken | undefined,
): CollectionLoad {
  const header = source instanceof Uint8Array ? checkBpfTarget(source) : source.elf.header;
  const order = header.byteOrder;
  if (order !== HOST_BYTE_ORDER) {
    throw new ElfTargetError(
      `the object is ${order}-endian (clang -target ${order === 'big' ? 'bpfeb' : 'bpfel'}) but this kernel is ${HOST_BYTE_ORDER}-endian: compile with -target bpf`,
      header.machine,
      order,
      5,
    );
  }
  const spec = source instanceof Uint8Array ? loadCollectionSpec(source, options) : source;
  const localBtf = spec.btf ? Btf.parse(spec.btf) : undefined;
  spec.adjust.check(localBtf);
  for (const name of options.programs ?? []) {
    if (!spec.programs.has(name))
      throw new NameNotFoundError('program', name, [...spec.programs.keys()], objectName(spec));
    if (spec.programs.get(name)!.autoload === false)
      throw new SpecEditError(
        'program',
        name,
        'autoload',
        'is false, but options.programs names the program',
      );
  }
  const extLayout = spec.btfExt && localBtf ? btfExtLayout(spec.btfExt, localBtf) : undefined;
  const extInfo = extLayout ? new ExtInfoSource(spec.btfExt!, extLayout) : undefined;
  const coreExt =
    extLayout && extLayout.coreRelos.length > 0 ? parseBtfExt(spec.btfExt!, localBtf!) : undefined;
  const btfMaps: Map<string, BtfMapSpec> = localBtf ? spec.adjust.btfMaps(localBtf) : new Map();
  if (!localBtf && spec.btfMapNames.length > 0)
    throw new ElfError('the object has a .maps section but no .BTF');
  const toLoad = [...spec.programs.values()].filter(
    (prog) => (!options.programs || options.programs.includes(prog.name)) && prog.autoload !== false,
  );
  checkUncreatedMaps(toLoad, btfMaps, spec.legacyMaps);
  checkUsdtMaps(toLoad, (name) => btfMaps.get(name) ?? spec.legacyMaps.get(name));
  // Functions of other programs (freplace, fentry on BPF) are found before anything is created.
  const programTargets = new Map<string, ProgramTarget>();
  for (const prog of toLoad) {
    const target = programTarget(prog);
    if (target) programTargets.set(prog.name, target);
  }
  const replacements = resolveMapReplacements(spec, btfMaps, options.mapReplacements);
  const kconfig = kconfigFor(spec, localBtf, options, token);
  const data = rewriteConstants(spec.dataSections, options.constants ?? {}, spec.byteOrder);
  const kernel = new KernelFacts(options);
  if (options.plugins) checkPlugins(spec, options.plugins, options.programs);
  const structOpsPlans = planStructOps(spec.structOps, localBtf, () => kernel.btf);

  let btf: LoadedBtf | undefined;
  let dataSectionTypes: FixedObjectBtf['datasecs'] = new Map();
  if (localBtf && !options.withoutBtf) {
    try {
      const fixed = fixObjectBtf(localBtf, spec.elf, kconfig);
      // The DATASEC of each data section (and `.kconfig`): its map's value type.
      dataSectionTypes = fixed.datasecs;
      btf = loadObjectBtf(fixed.bytes, token);
    } catch (e) {
      if (e instanceof BpfSyscallError) throw new ObjectBtfError(objectName(spec), e.log, e);
      throw e;
    }
  }
  const created = (() => {
    try {
      return createMaps(
        {
          spec,
          btfMaps,
          btfFd: btf?.fd,
          kconfig,
          dataSectionTypes,
          pinRoot: options.pinRoot ?? '/sys/fs/bpf',
          replacements,
          token,
        },
        data,
      );
    } catch (e) {
      btf?.close();
      throw e;
    }
  })();
  let codeBytes = 0;
  for (const prog of toLoad) codeBytes += prog.instructions.byteLength;
  const context: LoadContext = {
    extInfo,
    coreExt,
    // Room for every program's relocated copy and about as much for its func/line info.
    scratch: new ByteArena(2 * codeBytes + 1024),
    localBtf,
    btfFd: btf?.fd,
    kernel,
    options,
    structOps: structOpsPlans,
    token,
    programTargets,
    targets: new LoadTargets(
      created,
      kconfig,
      kernel,
      localBtf ? typelessKsymNames(localBtf) : new Set(),
      options,
    ),
  };
  const programs = new Map<string, Program>();
  // As libbpf does, every program is bound (BPF_PROG_BIND_MAP) to the map of the object's
  // last read-only data section in section order (`.rodata`, or `.rodata.str1.1` after it):
  // the map then lives as long as the program, and bpftool finds `bpf_metadata_*` in it.
  const readOnly = [...spec.dataSections.values()].filter((d) => d.readOnly);
  const bound = readOnly.length > 0 ? created.data.get(readOnly[readOnly.length - 1]!.name) : undefined;
  const structOps = new Map<string, StructOps>();
  const collection = new Collection(
    spec,
    created.maps,
    created.data,
    programs,
    btf,
    structOps,
    kconfig,
    created.pins,
  );
  return {
    collection,
    context,
    toLoad,
    loaded(name, program) {
      programs.set(name, program);
      if (bound) progBindMap(program.fd, bound.fd);
    },
    finish() {
      fillInitialValues(btfMaps, collection, replacements);
      for (const plan of structOpsPlans.maps) {
        structOps.set(
          plan.spec.name,
          StructOps.create({
            type: plan.layout.type,
            ...structOpsMembers(plan, programs),
            link: plan.spec.link,
            mapName: kernelName(plan.spec.name),
            btf: kernel.btf,
            ...(btf ? { btfFd: btf.fd } : {}),
            token,
          }),
        );
      }
      return collection;
    },
  };
}

/**
 * BPF_BTF_LOAD of the object's fixed-up BTF. As libbpf does, the first attempt asks for no log
 * (allocating a 1 MiB buffer and having the kernel write a line per type cost more than the load
 * itself); a refusal is repeated with a log, whose error then carries the kernel's reason.
 * @throws BpfSyscallError of the logged attempt
 */
function loadObjectBtf(fixed: Uint8Array, token: BpfToken | undefined): LoadedBtf {
  try {
    return loadBtf(fixed, { logSize: 0, token });
  } catch (e) {
    if (!(e instanceof BpfSyscallError)) throw e;
    return loadBtf(fixed, { token });
  }
}

/** The object's name for messages: its source file (the ELF `STT_FILE` symbol), or 'the object'. */
function objectName(spec: CollectionSpec): string {
  const file = spec.elf.symbols.find((s) => s.type === SymbolType.FILE && s.name);
  return file ? `object ${file.name}` : 'the object';
}

/**
 * Fills the slots the object initialises (`__array(values, …)`) in the maps it created: a map
 * not created, or taken from the caller (`replaced`, whose contents are the caller's), is left as it is.
 */
function fillInitialValues(
  btfMaps: Map<string, BtfMapSpec>,
  c: Collection,
  replaced: ReadonlyMap<string, unknown>,
): void {
  for (const spec of btfMaps.values()) {
    if (!c.maps.has(spec.name) || replaced.has(spec.name)) continue;
    for (const [slot, name] of spec.initialValues) {
      const target = c.programs.get(name)?.fd ?? c.maps.get(name)?.fd;
      if (target === undefined && c.spec.programs.has(name))
        throw new NameNotFoundError(
          'program',
          name,
          [...c.programs.keys()],
          `the loaded programs, but map ${spec.name}[${slot}] holds it: add it to options.programs`,
        );
      if (target === undefined)
        throw new ElfError(`map ${spec.name}[${slot}] refers to '${name}', which the object does not define`);
      const key = new Uint8Array(new Uint32Array([slot]).buffer);
      c.map(spec.name).set(key, new Uint8Array(new Uint32Array([target]).buffer));
    }
  }
}
