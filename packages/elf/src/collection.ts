import type { LoadedBtf } from '@ts-ebpf/btf/kernel';
import type { BpfMap, MapCodecs } from '@ts-ebpf/maps';
import { bpfCookieSupported, type Link, type Program, type StructOps } from '@ts-ebpf/programs';
import type { MappedMemory, PinPlace } from '@ts-ebpf/syscall';
import { closeTogether, ObjectClosedError } from '@ts-ebpf/syscall';
import { type AttachStep, attachStep } from './attach-plan.js';
import type { AttachTargets } from './attach-targets.js';
import { type Pinnable, pinAll, unpinAll } from './collection-pin.js';
import type { CollectionSpec } from './collection-spec.js';

import { type RawMap, undoPins } from './create-maps.js';
import { AttachRollbackError, NameNotFoundError, UsdtAttachError } from './errors.js';
import type { KconfigData, KconfigValue } from './kconfig.js';
import { TypedMapViews } from './typed-maps.js';
import { USDT_IP_MAP, UsdtSpecTable, type UsdtTarget } from './usdt/attach.js';
import { USDT_SPECS_MAP } from './usdt/spec-map.js';
import { GlobalVariable, mapDataSection } from './variables.js';

/** The {@link Collection.kconfig} of an object without `.kconfig` externs. */
const NO_KCONFIG: Readonly<Record<string, KconfigValue>> = Object.freeze({});

/** Every map and program of a loaded object; `close()` (or `using`) releases them all. */
export class Collection implements Disposable {
  /**
   * Named maps (BTF-defined and legacy): a replaced map (`mapReplacements`, `reuse()`) as a view
   * over a duplicate of the caller's fd; a map set not to be created (`setAutocreate(false)`) is absent.
   */
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
  /**
   * The object's `.kconfig` externs (`extern int LINUX_KERNEL_VERSION __kconfig;`) by name, with
   * the values the load gave them, as a libbpf skeleton's `skel->kconfig` has them: the values
   * the programs read (their map is frozen), typed by each extern's C type ({@link KconfigValue}:
   * `bool` a boolean, a `char` array a string, a 64-bit integer a bigint, other integers and
   * `enum libbpf_tristate` numbers). A `__weak` extern the kernel's config does not set holds
   * zero (`false`, `0`, `0n`, `''`). Frozen; empty for an object without `.kconfig` externs, and
   * still readable after `close()`.
   */
  readonly kconfig: Readonly<Record<string, KconfigValue>>;
  readonly #btf: LoadedBtf | undefined;
  readonly #mappings = new Map<string, MappedMemory>();
  readonly #links: Link[] = [];
  readonly #typed = new TypedMapViews();
  readonly #kconfig: KconfigData | undefined;
  #pins: readonly PinPlace[];
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
    pins: readonly PinPlace[] = [],
  ) {
    this.structOps = structOps;
    this.spec = spec;
    this.maps = maps;
    this.dataMaps = dataMaps;
    this.programs = programs;
    this.#btf = btf;
    this.#kconfig = kconfig;
    this.kconfig = kconfig?.values ?? NO_KCONFIG;
    this.#pins = pins;
  }

  /**
   * The pin paths this load made, in order: maps pinned by name (under `pinRoot`) or by path
   * that nothing was pinned at before. Pins found there and reused are not listed. Pins outlive
   * `close()`, as in libbpf; {@link Collection.removeCreatedPins} removes these (the list is
   * empty from then on).
   */
  get createdPins(): readonly string[] {
    return this.#pins.map((p) => p.path);
  }

  /**
   * Removes the pins this load made ({@link Collection.createdPins}), last first, and the bpffs
   * directories made for them while empty; pins it reused stay. For undoing a load whose user
   * fails after it (`loadCollection` does this itself when the load fails, as libbpf's
   * `bpf_object__load` does). Once: later calls do nothing.
   * @throws the first error of an unlink or rmdir, once every pin was tried
   */
  removeCreatedPins(): void {
    const pins = this.#pins;
    this.#pins = [];
    undoPins(pins);
  }

  /**
   * Pins every map of the collection under the bpffs directory `dir`, each at `<dir>/<name>`
   * (made when missing): the named maps, the data-section maps (`.bss`, `.rodata`, `.kconfig`
   * …) with each `.` of the name made `_` (bpffs refuses dots: `.bss` is pinned as `_bss`), and
   * the struct_ops maps, as libbpf's `bpf_object__pin_maps` pins and names them. All or nothing: a path that holds
   * something else fails the call before anything is pinned, and a pin that fails part way
   * removes the ones made before it. A path that holds the very map already (a map pinned by
   * name under `dir` at load) is left as it is. Pins outlive `close()`;
   * {@link Collection.unpinMaps} removes them.
   * @returns every map's pin path, in the order of `maps`, then `dataMaps`, then `structOps`
   * @throws CollectionPinError naming the map and its path (`cause`: a `PinPathError` for a
   * directory not on bpffs, the kernel's error …); ObjectClosedError after `close()`
   */
  pinMaps(dir: string): string[] {
    this.#requireOpen();
    return pinAll(this.#pinnableMaps(), dir);
  }

  /**
   * Removes the pins {@link Collection.pinMaps} makes under `dir`: each `<dir>/<name>` that holds
   * this collection's map (a path where nothing is is passed over). A path that holds another
   * object fails the call before anything is removed. The directory stays.
   * @returns the pin paths removed
   * @throws CollectionPinError naming the map and its path; ObjectClosedError after `close()`
   */
  unpinMaps(dir: string): string[] {
    this.#requireOpen();
    return unpinAll(this.#pinnableMaps(), dir);
  }

  /**
   * Pins every loaded program under the bpffs directory `dir`, each at `<dir>/<name>` (its
   * function name), as libbpf's `bpf_object__pin_programs` does, all or nothing as
   * {@link Collection.pinMaps} is.
   * @returns every program's pin path, in the order of `programs`
   * @throws CollectionPinError naming the program and its path; ObjectClosedError after `close()`
   */
  pinPrograms(dir: string): string[] {
    this.#requireOpen();
    return pinAll(this.#pinnablePrograms(), dir);
  }

  /**
   * Removes the pins {@link Collection.pinPrograms} makes under `dir`, as
   * {@link Collection.unpinMaps} does for maps.
   * @returns the pin paths removed
   * @throws CollectionPinError naming the program and its path; ObjectClosedError after `close()`
   */
  unpinPrograms(dir: string): string[] {
    this.#requireOpen();
    return unpinAll(this.#pinnablePrograms(), dir);
  }

  #pinnableMaps(): Pinnable[] {
    const maps: Pinnable[] = [];
    for (const [name, target] of this.maps) maps.push({ kind: 'map', name, target });
    for (const [name, target] of this.dataMaps) maps.push({ kind: 'map', name, target });
    for (const [name, ops] of this.structOps) maps.push({ kind: 'map', name, target: ops.map });
    return maps;
  }

  #pinnablePrograms(): Pinnable[] {
    return [...this.programs].map(([name, target]) => ({ kind: 'program', name, target }));
  }

  /**
   * Refuses a lookup or attach once the collection is closed: its maps, programs and data
   * sections are closed with it, and would fail later, at their first use, naming only themselves.
   * @throws ObjectClosedError naming the collection by its programs
   */
  #requireOpen(): void {
    if (this.#closed)
      throw new ObjectClosedError(
        `the collection of program(s) ${[...this.spec.programs.keys()].join(', ')}`,
      );
  }

  /**
   * The map called `name`.
   * @throws NameNotFoundError naming the maps there are; ObjectClosedError after `close()`
   */
  map(name: string): RawMap;
  /**
   * The map called `name` with typed keys and values: a `BpfMap` over the same kernel map (its
   * own descriptor, closed with the collection), its codecs checked against the map's key and
   * value sizes. A per-CPU map (PERCPU_ARRAY, PERCPU_HASH …) takes a `perCpu(...)` value codec,
   * one value per possible CPU (`{ key: u32, value: perCpu(u64) }`: a `BpfMap<number, bigint[]>`),
   * as `BpfMap.create` does. Asked again with the same codec objects, the same view. `ts-ebpf gen`
   * writes these for every map of an object.
   * @throws NameNotFoundError naming the maps there are; CodecError naming the map when a codec
   * does not fit it, or a per-CPU map is given a plain value codec; ObjectClosedError after `close()`
   */
  map<K, V>(name: string, codecs: MapCodecs<K, V>): BpfMap<K, V>;
  map<K, V>(name: string, codecs?: MapCodecs<K, V>): RawMap | BpfMap<K, V> {
    this.#requireOpen();
    const m = this.maps.get(name);
    if (!m) throw new NameNotFoundError('map', name, [...this.maps.keys()], 'the collection');
    return codecs === undefined ? m : this.#typed.get(name, m, codecs);
  }

  /**
   * The program called `name`.
   * @throws NameNotFoundError naming the loaded programs; ObjectClosedError after `close()`
   */
  program(name: string): Program {
    this.#requireOpen();
    const p = this.programs.get(name);
    if (!p) throw new NameNotFoundError('program', name, [...this.programs.keys()], 'the collection');
    return p;
  }

  /**
   * A global variable (`.bss`, `.data`, `.rodata*`, `.data.*`), read and written
   * through the section's memory-mapped map. Read-only sections can only be read.
   * @throws NameNotFoundError naming the variables there are; ObjectClosedError after `close()`
   */
  variable(name: string): GlobalVariable {
    this.#requireOpen();
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
   *
   * All or nothing: every program's attach is checked before the first is made (what
   * {@link checkSectionAttach} checks: a section with an attach convention, the targets it
   * needs), and when an attach still fails (an interface or tracepoint that does not exist, the
   * kernel's refusal), the links this call made are closed before its error is thrown, so
   * nothing of it stays attached.
   * @throws SectionAttachError, AttachOptionsError naming the program and its section, before
   * anything is attached
   * @throws InterfaceNotFoundError, TracepointNotFoundError, AttachError … (from
   * `@ts-ebpf/programs`) and the kernel's `BpfSyscallError`s naming the program and its section,
   * UsdtAttachError, or a struct_ops registration's error, once this call's links are closed;
   * AttachRollbackError when closing them failed too
   * @throws NameNotFoundError for a name the collection has no loaded program of; ObjectClosedError
   * after `close()`
   */
  attach(targets: AttachTargets = {}, names?: readonly string[]): Link[] {
    const steps: { name: string; program: Program; step: Exclude<AttachStep, { how: 'struct_ops' }> }[] = [];
    const structOps = new Set<string>();
    for (const name of names ?? [...this.programs.keys()]) {
      const program = this.program(name);
      const step = attachStep(this.spec.programs.get(name)!, targets);
      if (step.how !== 'struct_ops') steps.push({ name, program, step });
      // A struct_ops program is attached by registering the maps that hold it.
      else
        for (const m of this.spec.structOps.values())
          if ([...m.programs.values()].includes(name)) structOps.add(m.name);
    }
    const made: Link[] = [];
    try {
      for (const { name, program, step } of steps)
        made.push(
          step.how === 'usdt'
            ? this.#usdtTable(name).attach(program, name, step.target)
            : step.attach(program),
        );
      for (const name of names ? structOps : this.structOps.keys())
        made.push(this.structOps.get(name)!.register());
    } catch (e) {
      closeMadeLinks(made, e);
    }
    this.#links.push(...made);
    return made;
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
    // closeTogether closes everything, then throws the first error. Links, mappings and struct_ops
    // are closed first, in this order; the descriptors of the programs, maps and BTF (created in
    // a row, mostly) then go in a few close_range calls instead of one close each (50 programs
    // and 20 maps: 110 µs instead of 270).
    closeTogether(this.#closable());
  }

  *#closable(): Generator<{ close(): void }> {
    yield* this.#links.splice(0).reverse();
    yield* this.#mappings.values();
    yield* this.structOps.values();
    yield* this.#typed.drain();
    yield* this.programs.values();
    yield* this.maps.values();
    yield* this.dataMaps.values();
    if (this.#btf) yield this.#btf;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Undoes a `Collection.attach` that failed with `error`: closes the links it `made`, last first.
 * @throws `error`; AttachRollbackError (its cause `error`) when a close failed too
 */
function closeMadeLinks(made: Link[], error: unknown): never {
  try {
    closeTogether(made.reverse());
  } catch (closeError) {
    throw new AttachRollbackError(error, closeError);
  }
  throw error;
}
