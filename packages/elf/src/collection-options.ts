import type { Btf } from '@ts-ebpf/btf';
import type { PluginRegistry } from '@ts-ebpf/dsl';
import type { BpfToken } from '@ts-ebpf/syscall';
import type { CollectionSpecOptions } from './collection-spec.js';
import type { MapReplacements } from './map-replacements.js';

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
  /**
   * Verifier log level for every program (default: a log only when a load fails); a program's
   * own, set by `spec.adjust.program(name).setLogLevel()`, wins.
   */
  logLevel?: number;
  /**
   * Maps to use instead of creating the object's maps of these names: map name → any object
   * with the fd of an open map (a `BpfMap`, a map of another collection), as cilium/ebpf's
   * `CollectionOptions.MapReplacements` (libbpf: `bpf_map__reuse_fd`; `spec.adjust.map(name).reuse()`
   * does the same on the spec). The programs use the given map. Before any map is created, each
   * is compared with the object's definition (with its edits): another type, key or value size,
   * max entries, flags or map_extra is a `MapReplacementError` listing them; a name that is
   * no map of the object a {@link NameNotFoundError}, a data section's map a `SpecEditError`.
   * The caller keeps its maps: the collection holds a duplicate of each fd (`collection.map(name)`
   * is a view over it, closed with the collection). As in cilium/ebpf, a replaced map is not
   * pinned and no pin is reused for it (the object's `pinning` does not apply; a `setPinPath` of
   * it is a `SpecEditError`), and the object's initial slots of it are not written.
   */
  mapReplacements?: MapReplacements;
  /**
   * Threads that verify the programs at once (`loadCollection` only): this one and `threads - 1`
   * helper threads, as `Program.loadEach` runs them. The kernel verifies each program on the
   * thread that loads it, so with idle cores the programs take less wall time. The helper threads
   * are started on first use and kept, and join a load once they are up: `startHelperThreads(threads)`
   * ahead of the first load lets it use them; `stopHelperThreads()` ends them. An integer from 1
   * to 64; default 1: the programs are loaded one after another on this thread.
   */
  threads?: number;
  /**
   * DSL plugins to check programs against, before anything is loaded: a program whose section
   * a plugin covers may call only the helpers that section may ({@link PluginCheckError}).
   */
  plugins?: PluginRegistry;
  /**
   * A BPF token (Linux 6.9+) the object's BTF, maps and programs are created under, for a load in
   * a user namespace whose bpffs delegates those commands and types: a `BpfToken`, or the path
   * of such a bpffs (libbpf's `bpf_token_path`), from which a token is made for the load and
   * closed after it (the objects stay). Unlike libbpf, no token is tried without this option
   * (libbpf tries `LIBBPF_BPF_TOKEN_PATH` or /sys/fs/bpf), and a path that gives none fails the
   * load with a `BpfTokenError`.
   */
  token?: BpfToken | string;
}
