/**
 * What this package remembers per file descriptor number: the sizes of the map behind it (so
 * the map commands can check a caller's buffers without a system call per operation), and the
 * type of the program behind it (so a repeated test run checks its input without one).
 *
 * fd numbers are reused after close, so an entry must never outlive the open file it was read
 * from. Every path in this package that closes an fd (`close()`, `OwnedFd`, its finalizer) and
 * every path that hands out a new one (the bpf() commands that create objects, openat, socket,
 * perf_event_open …) calls {@link forgetFd}. A descriptor both closed and re-created outside this
 * package (by another native library), or closed and re-created by another worker thread (each
 * thread has its own cache), are the cases it cannot see. Even then the kernel refuses map
 * commands on a descriptor that is no longer a map before it touches a buffer.
 */

/** The kernel's view of one map, as far as the element commands need it. */
export interface MapSizes {
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  /** The map's id: which map the entry was read from. */
  readonly id: number;
  /** Bytes the kernel reads from a key buffer (0: the map takes no key). */
  readonly keySize: number;
  /** The map's `value_size`. */
  readonly valueSize: number;
  /**
   * Bytes the kernel reads from or writes to a value buffer for one element: `value_size`, or
   * for per-CPU maps round_up(value_size, 8) × the number of possible CPUs.
   */
  readonly valueBytes: number;
  /** Bytes of a batch position (`in_batch`/`out_batch`): 4 for hash maps, else the key size. */
  readonly batchPositionSize: number;
}

// Indexed by fd number: a dense array lookup on the hot path.
const sizes: (MapSizes | undefined)[] = [];

/** The cached sizes of the map at `fd`, or undefined. */
export function cachedSizes(fd: number): MapSizes | undefined {
  return sizes[fd];
}

/** Remembers `entry` for `fd`. */
export function rememberSizes(fd: number, entry: MapSizes): void {
  sizes[fd] = entry;
}

const progTypes: (number | undefined)[] = [];

/** The cached program type of the program at `fd`, or undefined. */
export function cachedProgType(fd: number): number | undefined {
  return progTypes[fd];
}

/** Remembers that `fd` is a program of type `type`. */
export function rememberProgType(fd: number, type: number): void {
  progTypes[fd] = type;
}

/** Something that keeps facts about an fd of its own and must hear when they go stale. */
export interface FdWatcher {
  /** Called once when what is known about the fd is dropped (closed, or a new file has its number). */
  fdForgotten(): void;
}

const watchers: (FdWatcher[] | undefined)[] = [];

/** Tells `watcher` (once) when what is known about `fd` is dropped. */
export function watchFd(fd: number, watcher: FdWatcher): void {
  const list = watchers[fd];
  if (list) list.push(watcher);
  else watchers[fd] = [watcher];
}

/** Stops telling `watcher` about `fd`. */
export function unwatchFd(fd: number, watcher: FdWatcher): void {
  const list = watchers[fd];
  const at = list?.indexOf(watcher) ?? -1;
  if (at >= 0) list!.splice(at, 1);
}

/** Drops whatever is known about `fd`: it was closed, or is a new file. */
export function forgetFd(fd: number): void {
  if (fd >= 0 && fd < sizes.length) sizes[fd] = undefined;
  if (fd >= 0 && fd < progTypes.length) progTypes[fd] = undefined;
  if (fd >= 0 && fd < watchers.length) {
    const list = watchers[fd];
    if (list) {
      watchers[fd] = undefined;
      for (const watcher of list) watcher.fdForgotten();
    }
  }
}
