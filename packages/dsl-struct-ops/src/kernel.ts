/**
 * Loading and registering struct_ops defined with `@ts-ebpf/dsl-struct-ops` on this machine,
 * through `@ts-ebpf/programs`' one registration path (`StructOps`). Not pure: it makes syscalls.
 * @packageDocumentation
 */
import type { Btf } from '@ts-ebpf/btf';
import type { MapResolver } from '@ts-ebpf/dsl';
import { Program, StructOps, type StructOpsLink } from '@ts-ebpf/programs';
import type { StructOpsDefinition } from './define.js';

/** Options of {@link LoadedStructOps.load}. */
export interface LoadStructOpsOptions {
  /** Register through a bpf_link (default true) or by the legacy map update. */
  readonly link?: boolean;
  /** The struct_ops map's name (default the `name` data member, else `struct_ops`). */
  readonly mapName?: string;
  /** Resolves map names the callbacks refer to (`ldMapFd('counts')`) to maps. */
  readonly maps?: MapResolver;
}

/**
 * A struct_ops definition loaded into the kernel: one STRUCT_OPS program per callback (each
 * loaded against its member) and the filled STRUCT_OPS map, ready to {@link register}.
 * `close()` (idempotent, `using`) closes the programs and the map; a registration lives on
 * in its link until that is closed.
 */
export class LoadedStructOps implements Disposable {
  /** The ops struct (`tcp_congestion_ops`). */
  readonly type: string;
  /** The map and its registration path. */
  readonly structOps: StructOps;
  readonly #programs: ReadonlyMap<string, Program>;
  #closed = false;

  private constructor(type: string, structOps: StructOps, programs: ReadonlyMap<string, Program>) {
    this.type = type;
    this.structOps = structOps;
    this.#programs = programs;
  }

  /**
   * Loads every callback program of `def` and creates and fills the STRUCT_OPS map. The map is
   * made from the BTF the definition was described from (it must be this kernel's).
   * @throws VerifierError (from `@ts-ebpf/programs`) naming the program when the kernel refuses a
   * callback; StructOpsTypeError / BpfSyscallError when it refuses the map or its value
   */
  static load(def: StructOpsDefinition, options: LoadStructOpsOptions = {}): LoadedStructOps {
    const programs = new Map<string, Program>();
    try {
      for (const [member, built] of Object.entries(def.programs)) {
        programs.set(
          member,
          Program.load({ ...built, name: member.slice(0, 15), ...(options.maps && { maps: options.maps }) }),
        );
      }
      const btf: Btf = def.ops.btf;
      const structOps = StructOps.create({
        type: def.ops.type,
        programs: Object.fromEntries(programs),
        fields: def.data,
        btf,
        ...(options.link !== undefined && { link: options.link }),
        ...(options.mapName !== undefined && { mapName: options.mapName }),
      });
      return new LoadedStructOps(def.ops.type, structOps, programs);
    } catch (e) {
      for (const p of programs.values()) p.close();
      throw e;
    }
  }

  /** The loaded program of each callback member. */
  get programs(): ReadonlyMap<string, Program> {
    return this.#programs;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Registers the ops with the kernel (for TCP, the congestion control becomes selectable by
   * its name). Closing the returned link unregisters; with a bpf_link it can
   * {@link StructOpsLink.replace | replace} the ops by other loaded ops of the same type.
   */
  register(): StructOpsLink {
    return this.structOps.register();
  }

  /** Closes the programs and the map. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.structOps.close();
    for (const p of this.#programs.values()) p.close();
  }

  /** Same as {@link LoadedStructOps.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
