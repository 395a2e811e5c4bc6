/**
 * How an object becomes a {@link Collection}: the steps {@link loadCollection} and
 * `loadCollectionAsync` share (check the spec, load the object's BTF, create the maps, prepare
 * each program's load options, bind and initialise once the programs are loaded).
 */
import { Btf, type BtfExt, btfExtLayout, parseBtfExt } from '@ts-ebpf/btf';
import { kernelBtf, type LoadedBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import { SymbolBind, SymbolType } from '@ts-ebpf/elf-reader';
import { Program, type ProgramLoadOptions, StructOps, VerifierError } from '@ts-ebpf/programs';
import {
  BpfProgType,
  BpfSyscallError,
  BpfToken,
  checkThreads,
  KALLSYMS_PATH,
  KernelSymbolTable,
  kernelVersion,
  progBindMap,
} from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { BtfMapSpec } from './btf-maps.js';
import { ByteArena } from './byte-arena.js';
import { Collection, type CollectionOptions } from './collection.js';
import {
  type CollectionSpec,
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
  SpecEditError,
} from './errors.js';
import { ExtInfoSource } from './ext-info.js';
import { swapInstructionOrder } from './instructions.js';
import { buildKconfig, type KconfigData } from './kconfig.js';
import { checkUncreatedMaps } from './map-autocreate.js';
import { resolveMapReplacements } from './map-replacements.js';
import { readKernelConfig } from './node-config.js';
import { type FixedObjectBtf, fixObjectBtf, typelessKsymNames } from './object-btf.js';
import { checkPlugins } from './plugin-check.js';
import { BTF_TARGETED, programFlags } from './program-edit.js';
import { type ProgramTarget, programTarget } from './program-target.js';
import { type RelocationTargets, relocateInto } from './relocate.js';
import { planStructOps, type StructOpsAttach, type StructOpsPlans, structOpsMembers } from './struct-ops.js';
import { checkUsdtMaps } from './usdt/spec-map.js';
import { rewriteConstants } from './variables.js';
import { withVirtualKconfig } from './virtual-kconfig.js';

/** Lazily read kernel facts (vmlinux BTF, the symbol table) shared by one load. */
class KernelFacts {
  #btf: Btf | undefined;
  #symbols: KernelSymbolTable | undefined;
  constructor(private readonly options: CollectionOptions) {}
  get btf(): Btf {
    this.#btf ??= this.options.kernelBtf ?? kernelBtf();
    return this.#btf;
  }
  /** `/proc/kallsyms`, read once per load (only a load with typeless ksyms reads it). */
  get symbols(): KernelSymbolTable {
    this.#symbols ??= KernelSymbolTable.read();
    return this.#symbols;
  }
}

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

/** What every program of one object is loaded against. */
export interface LoadContext {
  /** The object's func_info and line_info, when it has `.BTF.ext`. */
  extInfo: ExtInfoSource | undefined;
  /** The decoded `.BTF.ext`, when it has CO-RE relocations (only they need its records decoded). */
  coreExt: BtfExt | undefined;
  /** Where this load's relocated instructions and func/line info records are written. */
  scratch: ByteArena;
  localBtf: Btf | undefined;
  btfFd: number | undefined;
  kernel: KernelFacts;
  options: CollectionOptions;
  structOps: StructOpsPlans;
  targets: RelocationTargets;
  /** The BPF token the programs are loaded under, if the load has one. */
  token: BpfToken | undefined;
  /** The programs loaded against a function of another BPF program (freplace …), by name. */
  programTargets: ReadonlyMap<string, ProgramTarget>;
}

/**
 * The token of one load: `options.token`, or one made from its path for the load (closed when
 * this is disposed; the caller's own token stays open).
 * @internal
 */
export class LoadToken implements Disposable {
  readonly token: BpfToken | undefined;
  readonly #owned: boolean;
  constructor(option: BpfToken | string | undefined) {
    this.#owned = typeof option === 'string';
    this.token = typeof option === 'string' ? BpfToken.create(option) : option;
  }
  [Symbol.dispose](): void {
    if (this.#owned) this.token?.close();
  }
}

/**
 * Where relocations find maps, data sections, kfuncs and externs: one per load, shared by its
 * programs (a class: its methods are not closures made again for every load).
 */
class LoadTargets implements RelocationTargets {
  readonly searched: string;
  /** The typeless ksyms resolved so far: an address, or undefined for one the table lacks. */
  private readonly addresses = new Map<string, bigint | undefined>();
  constructor(
    private readonly maps: { maps: Map<string, RawMap>; data: Map<string, RawMap> },
    private readonly kconfig: KconfigData | undefined,
    private readonly kernel: KernelFacts,
    /** The typeless `.ksyms` externs: resolved through `/proc/kallsyms`, not BTF. */
    private readonly typeless: ReadonlySet<string>,
    options: CollectionOptions,
  ) {
    this.searched = options.kernelBtf
      ? 'the BTF given as options.kernelBtf'
      : 'vmlinux BTF (/sys/kernel/btf/vmlinux; kernel module BTF is not searched)';
  }
  mapFd(name: string): number | undefined {
    return this.maps.maps.get(name)?.fd;
  }
  dataFd(section: string): number | undefined {
    return this.maps.data.get(section)?.fd;
  }
  kfunc(name: string): { btfId: number } | undefined {
    const f = this.kernel.btf.find(name, 'func');
    return f ? { btfId: f.id } : undefined;
  }
  extern(
    name: string,
    section: string,
  ): { btfId: number } | { address: bigint } | { kconfigOffset: number } | undefined {
    const k = this.kconfig?.externs.get(name);
    if (k) return { kconfigOffset: k.offset };
    if (section === '.kconfig') return undefined;
    if (this.typeless.has(name)) {
      // One search of the table per symbol, however many instructions take its address.
      if (!this.addresses.has(name)) this.addresses.set(name, this.kernel.symbols.address(name));
      const address = this.addresses.get(name);
      return address === undefined ? undefined : { address };
    }
    const v = this.kernel.btf.find(name, 'var') ?? this.kernel.btf.find(name, 'func');
    return v ? { btfId: v.id } : undefined;
  }
  searchedFor(name: string): string | undefined {
    return this.typeless.has(name)
      ? `${KALLSYMS_PATH} (a typeless __ksym is resolved by name there)`
      : undefined;
  }
}

/** A program's load options (CO-RE and relocations applied) and the CO-RE results that explain a rejection. */
export interface PreparedProgram {
  readonly spec: ProgramSpec;
  readonly load: ProgramLoadOptions;
  readonly core: CoreRelocationResult[];
}

export function prepareProgram(prog: ProgramSpec, ctx: LoadContext): PreparedProgram {
  const { coreExt, extInfo, localBtf, btfFd, kernel, options } = ctx;
  let instructions = prog.instructions;
  let core: CoreRelocationResult[] = [];
  if (coreExt && localBtf) {
    ({ instructions, results: core } = applyCoreRelocations(prog, coreExt, localBtf, kernel.btf));
  }
  const code = relocateInto(
    instructions === prog.instructions ? prog : { ...prog, instructions },
    ctx.targets,
    ctx.scratch,
  );
  const def = prog.sectionDef;
  const structOps = structOpsAttach(prog, ctx.structOps);
  const info = extInfo && btfFd !== undefined ? extInfo.programExtInfo(prog, ctx.scratch) : undefined;
  // fentry/fexit/fmod_ret, tp_btf, iter, lsm: the target (from the section or setAttachTarget) is a kernel BTF name.
  const onProgram = ctx.programTargets.get(prog.name);
  const tracing =
    !onProgram && def.expectedAttachType !== undefined && def.target && BTF_TARGETED.has(def.progType);
  const withInfo = info !== undefined && info.funcInfo.byteLength > 0;
  // Every field written (undefined when unset), in one order: no object spreads per program, and
  // the options of every program share one shape.
  const load: ProgramLoadOptions = {
    type: def.progType,
    // The spec holds little-endian instructions; the kernel reads them in its own order.
    instructions: HOST_BYTE_ORDER === 'little' ? code : swapInstructionOrder(code),
    license: prog.license || 'GPL',
    name: kernelName(prog.name),
    // A struct_ops program's member decides its attach type.
    expectedAttachType: structOps ? structOps.expectedAttachType : def.expectedAttachType,
    attachTo: tracing ? def.target : undefined,
    attachBtfId: structOps ? structOps.attachBtfId : onProgram?.attachBtfId,
    attachProgFd: onProgram?.attachProgFd,
    flags: programFlags(prog),
    btfFd: withInfo ? btfFd : undefined,
    funcInfo: withInfo ? info.funcInfo : undefined,
    lineInfo: withInfo ? info.lineInfo : undefined,
    logLevel: (prog.logLevel ?? options.logLevel) || undefined,
    token: ctx.token,
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

function loadPrepared(prepared: PreparedProgram): Program {
  try {
    return Program.load(prepared.load);
  } catch (e) {
    throw programLoadError(e, prepared);
  }
}

/** Every program of `load` prepared, in declaration order. @internal */
export function prepareAll(load: CollectionLoad): PreparedProgram[] {
  const prepared: PreparedProgram[] = new Array(load.toLoad.length);
  for (let i = 0; i < prepared.length; i++) prepared[i] = prepareProgram(load.toLoad[i]!, load.context);
  return prepared;
}

/**
 * Adds the programs of `Program.loadEach` (or `loadEachAsync`) to the collection in declaration
 * order; the first failure in that order is thrown once every loaded program is owned (by the
 * collection, or closed here).
 * @internal
 */
export function addEach(
  load: CollectionLoad,
  prepared: readonly PreparedProgram[],
  results: readonly (Program | { readonly error: unknown })[],
): void {
  const failed = results.findIndex((r) => !(r instanceof Program));
  if (failed >= 0) {
    for (const r of results) if (r instanceof Program) r.close();
    throw programLoadError((results[failed] as { error: unknown }).error, prepared[failed]!);
  }
  let added = 0;
  try {
    // The collection owns each program from loaded() on, even when its binding throws.
    for (; added < results.length; added++)
      load.loaded(prepared[added]!.spec.name, results[added] as Program);
  } catch (e) {
    for (const r of results.slice(added + 1)) (r as Program).close();
    throw e;
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
 *
 * Maps pinned by name (under `options.pinRoot`) or by path reuse a pin found there, else are
 * pinned; when the load fails, everything made is closed and the pins it made are removed with
 * the bpffs directories made for them (pins it reused stay), as libbpf's `bpf_object__load` does.
 * @throws SpecEditError for edits that conflict (a program type and an attach type that do not fit)
 * @throws StructOpsDataError (of `@ts-ebpf/btf`) naming the map, the member and the rule for a
 * `.struct_ops` map's data member the kernel would refuse (a name it cannot take, unknown flags,
 * a non-zero member it does not take), before anything is loaded
 * @throws UsdtAttachError for USDT programs whose `__bpf_usdt_specs` map does not hold
 * `struct __bpf_usdt_spec` values (libbpf's `usdt.bpf.h`), before anything is created
 */
export function loadCollection(
  source: Uint8Array | CollectionSpec,
  options: CollectionOptions = {},
): Collection {
  if (options.threads !== undefined) checkThreads(options.threads, 'threads');
  using token = new LoadToken(options.token);
  const load = startCollection(source, options, token.token);
  try {
    // Every program is prepared (relocated, its func/line info placed, its load options built)
    // before the first is loaded: a program that cannot be prepared fails the load before the
    // kernel verifies any, and the loads follow each other with little work between them (each
    // verification evicts from the CPU's caches the code and data that work would touch).
    const prepared = prepareAll(load);
    const threads = options.threads ?? 1;
    if (threads === 1) {
      for (const p of prepared) load.loaded(p.spec.name, loadPrepared(p));
    } else {
      addEach(
        load,
        prepared,
        Program.loadEach(
          prepared.map((p) => p.load),
          { threads },
        ),
      );
    }
    return load.finish();
  } catch (e) {
    undoLoad(load.collection);
    throw e;
  }
}

/**
 * Undoes a load that failed: closes everything it made, then removes the pins it made (as
 * libbpf's `bpf_object__load` unpins the maps it pinned, not those it reused).
 * @internal
 */
export function undoLoad(collection: Collection): void {
  try {
    collection.close();
  } finally {
    collection.removeCreatedPins();
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
