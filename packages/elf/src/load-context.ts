/**
 * What one collection load works against: the kernel facts it reads lazily, the BPF token it runs
 * under, where relocations find maps, data sections, kfuncs and externs, and the context every
 * program of the load is prepared with.
 */
import type { Btf, BtfExt } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { BpfToken, KALLSYMS_PATH, KernelSymbolTable } from '@ts-ebpf/syscall';
import type { ByteArena } from './byte-arena.js';
import type { CollectionOptions } from './collection-options.js';
import type { RawMap } from './create-maps.js';
import type { ExtInfoSource } from './ext-info.js';
import type { KconfigData } from './kconfig.js';
import type { ProgramTarget } from './program-target.js';
import type { RelocationTargets } from './relocate.js';
import type { StructOpsPlans } from './struct-ops.js';

/** Lazily read kernel facts (vmlinux BTF, the symbol table) shared by one load. */
export class KernelFacts {
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
export class LoadTargets implements RelocationTargets {
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
