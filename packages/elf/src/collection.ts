import { Btf, type BtfExt, parseBtfExt } from '@ts-ebpf/btf';
import { kernelBtf, type LoadedBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import type { PluginRegistry } from '@ts-ebpf/dsl';
import { SymbolBind, SymbolType } from '@ts-ebpf/elf-reader';
import {
  bpfCookieSupported,
  type Link,
  Program,
  type ProgramLoadOptions,
  StructOps,
  VerifierError,
} from '@ts-ebpf/programs';
import type { MappedMemory } from '@ts-ebpf/syscall';
import { BpfProgLoadFlag, BpfProgType, BpfSyscallError, kernelVersion, progBindMap } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { type AttachTargets, attachBySection } from './attach.js';
import type { BtfMapSpec } from './btf-maps.js';
import {
  type CollectionSpec,
  type CollectionSpecOptions,
  checkBpfTarget,
  loadCollectionSpec,
  type ProgramSpec,
} from './collection-spec.js';

import { applyCoreRelocations, type CoreRelocationResult } from './core/apply.js';
import { explainCoreFailure } from './core/explain.js';
import { createMaps, kernelName, type RawMap } from './create-maps.js';
import {
  CollectionVerifierError,
  ElfError,
  ElfTargetError,
  NameNotFoundError,
  ObjectBtfError,
  SectionAttachError,
  SpecEditError,
  UsdtAttachError,
} from './errors.js';
import { programExtInfo } from './ext-info.js';
import { swapInstructionOrder } from './instructions.js';
import { buildKconfig, type KconfigData } from './kconfig.js';
import { readKernelConfig } from './node-config.js';
import { fixupObjectBtf } from './object-btf.js';
import { checkPlugins } from './plugin-check.js';
import { BTF_TARGETED } from './program-edit.js';
import { type RelocationTargets, relocate } from './relocate.js';
import { planStructOps, type StructOpsAttach, type StructOpsPlans, structOpsMembers } from './struct-ops.js';
import { USDT_IP_MAP, USDT_SPECS_MAP, UsdtSpecTable, type UsdtTarget } from './usdt/attach.js';
import { GlobalVariable, mapDataSection, rewriteConstants } from './variables.js';
import { withVirtualKconfig } from './virtual-kconfig.js';

/** Options of {@link loadCollection}. */
export interface CollectionOptions extends CollectionSpecOptions {
  /** Kernel BTF for CO-RE, kfuncs and ksyms (default: `kernelBtf()` of @ts-ebpf/btf, parsed once per process when first needed). */
  kernelBtf?: Btf;
  /**
   * Kernel config for `.kconfig` externs (default: /proc/config.gz, read when needed). The
   * externs libbpf computes itself (`LINUX_HAS_SYSCALL_WRAPPER`, `LINUX_HAS_BPF_COOKIE`) are
   * probed on this kernel unless this map sets them.
   */
  kconfig?: Map<string, string> | (() => Map<string, string>);
  /** Directory for maps pinned by name (default /sys/fs/bpf). */
  pinRoot?: string;
  /** Values for `const volatile` globals in `.rodata`, set before load: name → bytes or number. */
  constants?: Record<string, Uint8Array | number | bigint | boolean>;
  /** Load only these programs (default: all). A name the object lacks is a {@link NameNotFoundError}. */
  programs?: readonly string[];
  /**
   * Load without the object's BTF: no func_info/line_info for programs, no key/value types
   * for maps (map types that need them fail). Without this option a BTF the kernel refuses
   * is an {@link ObjectBtfError} carrying the kernel's BTF log. Default false.
   */
  withoutBtf?: boolean;
  /** Verifier log level for every program (default: a log only when a load fails). */
  logLevel?: number;
  /**
   * DSL plugins to check programs against, before anything is loaded: a program whose section
   * a plugin covers may call only the helpers that section may ({@link PluginCheckError}).
   */
  plugins?: PluginRegistry;
}

/** Every map and program of a loaded object; `close()` (or `using`) releases them all. */
export class Collection implements Disposable {
  /** Named maps (BTF-defined and legacy). */
  readonly maps: ReadonlyMap<string, RawMap>;
  /** Data-section maps by section (`.bss`, `.data`, `.rodata`, `.kconfig` …). */
  readonly dataMaps: ReadonlyMap<string, RawMap>;
  /** Loaded programs by function name. */
  readonly programs: ReadonlyMap<string, Program>;
  /**
   * struct_ops maps (`.struct_ops` / `.struct_ops.link` variables) by name, created and filled
   * with their programs and data, not yet registered: {@link Collection.attach} (or
   * `register()` of one of them) registers them.
   */
  readonly structOps: ReadonlyMap<string, StructOps>;
  /** What was read from the object. */
  readonly spec: CollectionSpec;
  readonly #btf: LoadedBtf | undefined;
  readonly #mappings = new Map<string, MappedMemory>();
  readonly #links: Link[] = [];
  readonly #kconfig: KconfigData | undefined;
  #usdt: UsdtSpecTable | undefined;
  #closed = false;

  /** @internal */
  constructor(
    spec: CollectionSpec,
    maps: Map<string, RawMap>,
    dataMaps: Map<string, RawMap>,
    programs: Map<string, Program>,
    btf: LoadedBtf | undefined,
    structOps: Map<string, StructOps> = new Map(),
    kconfig?: KconfigData,
  ) {
    this.structOps = structOps;
    this.spec = spec;
    this.maps = maps;
    this.dataMaps = dataMaps;
    this.programs = programs;
    this.#btf = btf;
    this.#kconfig = kconfig;
  }

  /** The map called `name`. @throws NameNotFoundError naming the maps there are */
  map(name: string): RawMap {
    const m = this.maps.get(name);
    if (!m) throw new NameNotFoundError('map', name, [...this.maps.keys()], 'the collection');
    return m;
  }

  /** The program called `name`. @throws NameNotFoundError naming the loaded programs */
  program(name: string): Program {
    const p = this.programs.get(name);
    if (!p) throw new NameNotFoundError('program', name, [...this.programs.keys()], 'the collection');
    return p;
  }

  /**
   * A global variable (`.bss`, `.data`, `.rodata*`, `.data.*`), read and written
   * through the section's memory-mapped map. Read-only sections can only be read.
   * @throws NameNotFoundError naming the variables there are
   */
  variable(name: string): GlobalVariable {
    for (const section of this.spec.dataSections.values()) {
      const v = section.variables.get(name);
      if (!v) continue;
      let memory = this.#mappings.get(section.name);
      if (!memory) {
        memory = mapDataSection(
          this.dataMaps.get(section.name)!.fd,
          section.contents.byteLength,
          !section.readOnly,
        );
        this.#mappings.set(section.name, memory);
      }
      return new GlobalVariable(name, memory, v.offset, v.size);
    }
    const names = [...this.spec.dataSections.values()].flatMap((s) => [...s.variables.keys()]);
    throw new NameNotFoundError('variable', name, names, 'the collection');
  }

  /**
   * Attaches programs the way their section names say (a libbpf skeleton's
   * auto-attach): every loaded program, or the named ones. Links are closed
   * with the collection. Programs whose sections need a target take it from
   * `targets` (an interface for xdp, a cgroup for cgroup/*, …). struct_ops maps are
   * registered (all of them, or those holding a named struct_ops program), as libbpf's
   * skeleton does; closing the collection unregisters them.
   */
  attach(targets: AttachTargets = {}, names?: readonly string[]): Link[] {
    const links: Link[] = [];
    const structOps = new Set<string>();
    for (const name of names ?? [...this.programs.keys()]) {
      const program = this.program(name);
      if (program.type === BpfProgType.STRUCT_OPS) {
        // A struct_ops program is attached by registering the maps that hold it.
        for (const m of this.spec.structOps.values())
          if ([...m.programs.values()].includes(name)) structOps.add(m.name);
        continue;
      }
      const spec = this.spec.programs.get(name)!;
      let link: Link;
      if (/^usdt(\.s)?$/.test(spec.section.split('/')[0]!)) {
        link = this.attachUsdt(name, usdtTargetOf(spec));
      } else {
        link = attachBySection(program, spec, targets);
        this.#links.push(link);
      }
      links.push(link);
    }
    for (const name of names ? structOps : this.structOps.keys()) {
      const link = this.structOps.get(name)!.register();
      this.#links.push(link);
      links.push(link);
    }
    return links;
  }

  /**
   * Attaches a program written with libbpf's `usdt.bpf.h` (`SEC("usdt")`, `BPF_USDT`,
   * `bpf_usdt_arg()`) to a USDT probe of a binary: a uprobe at every site of
   * `provider:name` in its `.note.stapsdt`, each site's argument spec in the collection's
   * `__bpf_usdt_specs` map, and the probe's semaphore (if any) raised while attached. The
   * Link is closed with the collection.
   * @throws NameNotFoundError for a program the collection lacks, or a probe the binary lacks
   * @throws UsdtSpecError when the binary cannot be read or an argument cannot be expressed
   * @throws UsdtAttachError when the object lacks usdt.bpf.h's maps or they are full
   */
  attachUsdt(program: string, target: UsdtTarget): Link {
    const p = this.program(program);
    const link = this.#usdtTable(program).attach(p, program, target);
    this.#links.push(link);
    return link;
  }

  #usdtTable(program: string): UsdtSpecTable {
    if (this.#usdt) return this.#usdt;
    const specs = this.maps.get(USDT_SPECS_MAP);
    if (!specs)
      throw new UsdtAttachError(
        program,
        `the object has no map ${USDT_SPECS_MAP}: read USDT arguments with bpf_usdt_arg() of <bpf/usdt.bpf.h>`,
      );
    const extern = this.#kconfig?.externs.get('LINUX_HAS_BPF_COOKIE');
    const cookies = extern ? this.#kconfig!.contents[extern.offset] !== 0 : bpfCookieSupported();
    this.#usdt = new UsdtSpecTable(specs, this.maps.get(USDT_IP_MAP), cookies);
    return this.#usdt;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes every program, map and the object BTF; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // One failing close (a socket-filter link whose socket is gone) must not leak the rest:
    // close everything, then report the first error.
    let first: unknown;
    const closeOne = (o: { close(): void } | undefined) => {
      try {
        o?.close();
      } catch (e) {
        first ??= e;
      }
    };
    for (const l of this.#links.splice(0).reverse()) closeOne(l);
    for (const m of this.#mappings.values()) closeOne(m);
    for (const o of this.structOps.values()) closeOne(o);
    for (const p of this.programs.values()) closeOne(p);
    for (const m of [...this.maps.values(), ...this.dataMaps.values()]) closeOne(m);
    closeOne(this.#btf);
    if (first !== undefined) throw first;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The probe a `usdt/<binary>:<provider>:<name>` section names (the binary may hold colons:
 * provider and name are the last two fields).
 */
function usdtTargetOf(spec: ProgramSpec): UsdtTarget {
  const t = spec.sectionDef.target;
  const parts = t?.split(':') ?? [];
  if (parts.length < 3 || parts.some((p) => p === ''))
    throw new SectionAttachError(
      spec.name,
      spec.section,
      t
        ? `cannot read '${t}' as <binary>:<provider>:<name>`
        : 'the section name does not say the probe (usdt/<binary>:<provider>:<name>): attach with collection.attachUsdt()',
    );
  const name = parts.pop()!;
  const provider = parts.pop()!;
  return { binary: parts.join(':'), provider, name };
}

/** Lazily read kernel facts (vmlinux BTF, kconfig) shared by one load. */
class KernelFacts {
  #btf: Btf | undefined;
  constructor(private readonly options: CollectionOptions) {}
  get btf(): Btf {
    this.#btf ??= this.options.kernelBtf ?? kernelBtf();
    return this.#btf;
  }
}

function kconfigFor(
  spec: CollectionSpec,
  btf: Btf | undefined,
  options: CollectionOptions,
): KconfigData | undefined {
  const datasec = btf?.find('.kconfig', 'datasec');
  if (!btf || !datasec) return undefined;
  const source = options.kconfig ?? readKernelConfig;
  const names = datasec.vars.map((v) => btf.type(v.type).name);
  const config = withVirtualKconfig(typeof source === 'function' ? source() : source, names);
  const weak = new Set(spec.elf.symbols.filter((s) => s.bind === SymbolBind.WEAK).map((s) => s.name));
  return buildKconfig(btf, config, kernelVersion().code, (n) => weak.has(n));
}

/** What every program of one object is loaded against. */
export interface LoadContext {
  ext: BtfExt | undefined;
  localBtf: Btf | undefined;
  btfFd: number | undefined;
  kernel: KernelFacts;
  options: CollectionOptions;
  structOps: StructOpsPlans;
  targets: RelocationTargets;
}

/** Where relocations find maps, data sections, kfuncs and externs: one per load, shared by its programs. */
function relocationTargets(
  maps: { maps: Map<string, RawMap>; data: Map<string, RawMap> },
  kconfig: KconfigData | undefined,
  kernel: KernelFacts,
  options: CollectionOptions,
): RelocationTargets {
  return {
    mapFd: (name) => maps.maps.get(name)?.fd,
    dataFd: (section) => maps.data.get(section)?.fd,
    kfunc: (name) => {
      const f = kernel.btf.find(name, 'func');
      return f ? { btfId: f.id } : undefined;
    },
    extern: (name, section) => {
      const k = kconfig?.externs.get(name);
      if (k) return { kconfigOffset: k.offset };
      if (section === '.kconfig') return undefined;
      const v = kernel.btf.find(name, 'var') ?? kernel.btf.find(name, 'func');
      return v ? { btfId: v.id } : undefined;
    },
    searched: options.kernelBtf
      ? 'the BTF given as options.kernelBtf'
      : 'vmlinux BTF (/sys/kernel/btf/vmlinux; kernel module BTF is not searched)',
  };
}

/** A program's load options (CO-RE and relocations applied) and the CO-RE results that explain a rejection. */
export interface PreparedProgram {
  readonly spec: ProgramSpec;
  readonly load: ProgramLoadOptions;
  readonly core: CoreRelocationResult[];
}

export function prepareProgram(prog: ProgramSpec, ctx: LoadContext): PreparedProgram {
  const { ext, localBtf, btfFd, kernel, options } = ctx;
  let instructions = prog.instructions;
  let core: CoreRelocationResult[] = [];
  if (ext && localBtf && ext.coreRelos.length > 0) {
    ({ instructions, results: core } = applyCoreRelocations(prog, ext, localBtf, kernel.btf));
  }
  const code = relocate({ ...prog, instructions }, ctx.targets);
  const def = prog.sectionDef;
  const structOps = structOpsAttach(prog, ctx.structOps);
  const info = ext && btfFd !== undefined ? programExtInfo(prog, ext) : undefined;
  // fentry/fexit/fmod_ret, tp_btf, iter, lsm: the target (from the section or setAttachTarget) is a kernel BTF name.
  const tracing = def.expectedAttachType !== undefined && def.target && BTF_TARGETED.has(def.progType);
  const load: ProgramLoadOptions = {
    type: def.progType,
    // The spec holds little-endian instructions; the kernel reads them in its own order.
    instructions: HOST_BYTE_ORDER === 'little' ? code : swapInstructionOrder(code),
    license: prog.license || 'GPL',
    name: kernelName(prog.name),
    ...(def.expectedAttachType !== undefined ? { expectedAttachType: def.expectedAttachType } : {}),
    ...(tracing ? { attachTo: def.target } : {}),
    ...structOps,
    flags:
      (def.sleepable ? BpfProgLoadFlag.SLEEPABLE : 0) | (def.xdpFrags ? BpfProgLoadFlag.XDP_HAS_FRAGS : 0),
    ...(info && info.funcInfo.byteLength > 0
      ? { btfFd, funcInfo: info.funcInfo, lineInfo: info.lineInfo }
      : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  };
  return { spec: prog, load, core };
}

/** A verifier rejection as the collection reports it (naming the program, explaining CO-RE); other errors as they are. */
export function programLoadError(e: unknown, prepared: PreparedProgram): unknown {
  if (e instanceof VerifierError)
    return new CollectionVerifierError(
      e,
      prepared.spec.name,
      explainCoreFailure(e.log, prepared.core)?.message,
    );
  return e;
}

function loadProgram(prog: ProgramSpec, ctx: LoadContext): Program {
  const prepared = prepareProgram(prog, ctx);
  try {
    return Program.load(prepared.load);
  } catch (e) {
    throw programLoadError(e, prepared);
  }
}

/**
 * A struct_ops program is loaded against the member its map binds it to.
 * @throws ElfError for one no `.struct_ops` map uses (the kernel cannot load it without a member)
 */
function structOpsAttach(prog: ProgramSpec, plans: StructOpsPlans): StructOpsAttach | undefined {
  if (prog.sectionDef.progType !== BpfProgType.STRUCT_OPS) return undefined;
  const attach = plans.attach.get(prog.name);
  if (!attach)
    throw new ElfError(
      `struct_ops program '${prog.name}' (section ${prog.section}) is used by no .struct_ops map, so it implements no member: reference it from a struct_ops map or leave it out with options.programs`,
    );
  return { attachBtfId: attach.attachBtfId, expectedAttachType: attach.expectedAttachType };
}

/**
 * Loads a clang-compiled BPF object: creates its maps (BTF-defined, legacy,
 * global data, kconfig), applies CO-RE and relocations, loads every program
 * with its func_info/line_info, and fills prog_array and map-in-map initial values.
 *
 * `source` is the object's bytes, or a spec from {@link loadCollectionSpec} changed through
 * `spec.adjust` (open → adjust → load); the spec's edits are checked again, as a whole,
 * before the kernel is asked. Programs set not to autoload are left out.
 * @throws SpecEditError for edits that conflict (a program type and an attach type that do not fit)
 */
export function loadCollection(
  source: Uint8Array | CollectionSpec,
  options: CollectionOptions = {},
): Collection {
  const load = startCollection(source, options);
  try {
    for (const prog of load.toLoad) load.loaded(prog.name, loadProgram(prog, load.context));
    return load.finish();
  } catch (e) {
    load.collection.close();
    throw e;
  }
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
  spec.adjust.check();
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
  const localBtf = spec.btf ? Btf.parse(spec.btf) : undefined;
  const ext = spec.btfExt && localBtf ? parseBtfExt(spec.btfExt, localBtf) : undefined;
  const btfMaps: Map<string, BtfMapSpec> = localBtf ? spec.adjust.btfMaps(localBtf) : new Map();
  if (!localBtf && spec.btfMapNames.length > 0)
    throw new ElfError('the object has a .maps section but no .BTF');
  const kconfig = kconfigFor(spec, localBtf, options);
  const data = rewriteConstants(spec.dataSections, options.constants ?? {}, spec.byteOrder);
  const kernel = new KernelFacts(options);
  if (options.plugins) checkPlugins(spec, options.plugins, options.programs);
  const structOpsPlans = planStructOps(spec.structOps, localBtf, () => kernel.btf);

  let btf: LoadedBtf | undefined;
  const dataSectionTypes = new Map<string, { id: number; size: number }>();
  if (localBtf && !options.withoutBtf) {
    try {
      const fixed = fixupObjectBtf(localBtf, spec.elf, kconfig);
      const fixedBtf = Btf.parse(fixed);
      for (const name of [...data.keys(), '.kconfig']) {
        const datasec = fixedBtf.find(name, 'datasec');
        if (datasec) dataSectionTypes.set(name, { id: datasec.id, size: datasec.size });
      }
      btf = loadObjectBtf(fixed);
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
        },
        data,
      );
    } catch (e) {
      btf?.close();
      throw e;
    }
  })();
  const context: LoadContext = {
    ext,
    localBtf,
    btfFd: btf?.fd,
    kernel,
    options,
    structOps: structOpsPlans,
    targets: relocationTargets(created, kconfig, kernel, options),
  };
  const programs = new Map<string, Program>();
  // As libbpf does, every program is bound (BPF_PROG_BIND_MAP) to the map of the object's
  // last read-only data section in section order (`.rodata`, or `.rodata.str1.1` after it):
  // the map then lives as long as the program, and bpftool finds `bpf_metadata_*` in it.
  const readOnly = [...spec.dataSections.values()].filter((d) => d.readOnly);
  const bound = readOnly.length > 0 ? created.data.get(readOnly[readOnly.length - 1]!.name) : undefined;
  const structOps = new Map<string, StructOps>();
  const collection = new Collection(spec, created.maps, created.data, programs, btf, structOps, kconfig);
  const toLoad = [...spec.programs.values()].filter(
    (prog) => (!options.programs || options.programs.includes(prog.name)) && prog.autoload !== false,
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
      fillInitialValues(btfMaps, collection);
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
function loadObjectBtf(fixed: Uint8Array): LoadedBtf {
  try {
    return loadBtf(fixed, { logSize: 0 });
  } catch (e) {
    if (!(e instanceof BpfSyscallError)) throw e;
    return loadBtf(fixed);
  }
}

/** The object's name for messages: its source file (the ELF `STT_FILE` symbol), or 'the object'. */
function objectName(spec: CollectionSpec): string {
  const file = spec.elf.symbols.find((s) => s.type === SymbolType.FILE && s.name);
  return file ? `object ${file.name}` : 'the object';
}

function fillInitialValues(btfMaps: Map<string, BtfMapSpec>, c: Collection): void {
  for (const spec of btfMaps.values()) {
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
