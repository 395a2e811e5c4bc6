import { Btf, type BtfExt, parseBtfExt } from '@ts-ebpf/btf';
import { kernelBtf, type LoadedBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import type { PluginRegistry } from '@ts-ebpf/dsl';
import { SymbolBind, SymbolType } from '@ts-ebpf/elf-reader';
import { type Link, Program, StructOps, VerifierError } from '@ts-ebpf/programs';
import type { MappedMemory } from '@ts-ebpf/syscall';
import { BpfProgLoadFlag, BpfProgType, BpfSyscallError, kernelVersion } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { type AttachTargets, attachBySection } from './attach.js';
import { type BtfMapSpec, parseBtfMaps } from './btf-maps.js';
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
} from './errors.js';
import { programExtInfo } from './ext-info.js';
import { swapInstructionOrder } from './instructions.js';
import { buildKconfig, type KconfigData } from './kconfig.js';
import { readKernelConfig } from './node-config.js';
import { fixupObjectBtf } from './object-btf.js';
import { checkPlugins } from './plugin-check.js';
import { relocate } from './relocate.js';
import { planStructOps, type StructOpsAttach, type StructOpsPlans, structOpsMembers } from './struct-ops.js';
import { GlobalVariable, mapDataSection, rewriteConstants } from './variables.js';

/** Options of {@link loadCollection}. */
export interface CollectionOptions extends CollectionSpecOptions {
  /** Kernel BTF for CO-RE, kfuncs and ksyms (default: `kernelBtf()` of @ts-ebpf/btf, parsed once per process when first needed). */
  kernelBtf?: Btf;
  /** Kernel config for `.kconfig` externs (default: /proc/config.gz, read when needed). */
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
  #closed = false;

  /** @internal */
  constructor(
    spec: CollectionSpec,
    maps: Map<string, RawMap>,
    dataMaps: Map<string, RawMap>,
    programs: Map<string, Program>,
    btf: LoadedBtf | undefined,
    structOps: Map<string, StructOps> = new Map(),
  ) {
    this.structOps = structOps;
    this.spec = spec;
    this.maps = maps;
    this.dataMaps = dataMaps;
    this.programs = programs;
    this.#btf = btf;
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
      const link = attachBySection(program, this.spec.programs.get(name)!, targets);
      this.#links.push(link);
      links.push(link);
    }
    for (const name of names ? structOps : this.structOps.keys()) {
      const link = this.structOps.get(name)!.register();
      this.#links.push(link);
      links.push(link);
    }
    return links;
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
  if (!btf?.find('.kconfig', 'datasec')) return undefined;
  const source = options.kconfig ?? readKernelConfig;
  const config = typeof source === 'function' ? source() : source;
  const weak = new Set(spec.elf.symbols.filter((s) => s.bind === SymbolBind.WEAK).map((s) => s.name));
  return buildKconfig(btf, config, kernelVersion().code, (n) => weak.has(n));
}

/** What every program of one object is loaded against. */
interface LoadContext {
  ext: BtfExt | undefined;
  localBtf: Btf | undefined;
  btfFd: number | undefined;
  maps: { maps: Map<string, RawMap>; data: Map<string, RawMap> };
  kconfig: KconfigData | undefined;
  kernel: KernelFacts;
  options: CollectionOptions;
  structOps: StructOpsPlans;
}

function loadProgram(prog: ProgramSpec, ctx: LoadContext): Program {
  const { ext, localBtf, btfFd, maps, kconfig, kernel, options } = ctx;
  let instructions = prog.instructions;
  let core: CoreRelocationResult[] = [];
  if (ext && localBtf && ext.coreRelos.length > 0) {
    ({ instructions, results: core } = applyCoreRelocations(prog, ext, localBtf, kernel.btf));
  }
  const code = relocate(
    { ...prog, instructions },
    {
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
    },
  );
  const def = prog.sectionDef;
  const structOps = structOpsAttach(prog, ctx.structOps);
  const info = ext && btfFd !== undefined ? programExtInfo(prog, ext) : undefined;
  const tracing =
    def.expectedAttachType !== undefined &&
    def.target &&
    /^(fentry|fexit|fmod_ret|lsm|tp_btf|iter)/.test(prog.section);
  try {
    return Program.load({
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
    });
  } catch (e) {
    if (e instanceof VerifierError)
      throw new CollectionVerifierError(e, prog.name, explainCoreFailure(e.log, core)?.message);
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
 */
export function loadCollection(bytes: Uint8Array, options: CollectionOptions = {}): Collection {
  const header = checkBpfTarget(bytes);
  const order = header.byteOrder;
  if (order !== HOST_BYTE_ORDER) {
    throw new ElfTargetError(
      `the object is ${order}-endian (clang -target ${order === 'big' ? 'bpfeb' : 'bpfel'}) but this kernel is ${HOST_BYTE_ORDER}-endian: compile with -target bpf`,
      header.machine,
      order,
      5,
    );
  }
  const spec = loadCollectionSpec(bytes, options);
  for (const name of options.programs ?? []) {
    if (!spec.programs.has(name))
      throw new NameNotFoundError('program', name, [...spec.programs.keys()], objectName(spec));
  }
  const localBtf = spec.btf ? Btf.parse(spec.btf) : undefined;
  const ext = spec.btfExt && localBtf ? parseBtfExt(spec.btfExt, localBtf) : undefined;
  const btfMaps: Map<string, BtfMapSpec> = localBtf ? parseBtfMaps(spec.elf, localBtf) : new Map();
  if (!localBtf && spec.btfMapNames.length > 0)
    throw new ElfError('the object has a .maps section but no .BTF');
  const kconfig = kconfigFor(spec, localBtf, options);
  const data = rewriteConstants(spec.dataSections, options.constants ?? {}, spec.byteOrder);
  const kernel = new KernelFacts(options);
  if (options.plugins) checkPlugins(spec, options.plugins, options.programs);
  const structOpsPlans = planStructOps(spec.structOps, localBtf, () => kernel.btf);

  let btf: LoadedBtf | undefined;
  if (localBtf && !options.withoutBtf) {
    try {
      btf = loadBtf(fixupObjectBtf(localBtf, spec.elf, kconfig));
    } catch (e) {
      if (e instanceof BpfSyscallError) throw new ObjectBtfError(objectName(spec), e.log, e);
      throw e;
    }
  }
  const created = (() => {
    try {
      return createMaps(
        { spec, btfMaps, btfFd: btf?.fd, kconfig, pinRoot: options.pinRoot ?? '/sys/fs/bpf' },
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
    maps: created,
    kconfig,
    kernel,
    options,
    structOps: structOpsPlans,
  };
  const programs = new Map<string, Program>();
  const structOps = new Map<string, StructOps>();
  const collection = new Collection(spec, created.maps, created.data, programs, btf, structOps);
  try {
    for (const prog of spec.programs.values()) {
      if (options.programs && !options.programs.includes(prog.name)) continue;
      programs.set(prog.name, loadProgram(prog, context));
    }
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
  } catch (e) {
    collection.close();
    throw e;
  }
  return collection;
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
