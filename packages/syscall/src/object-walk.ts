/**
 * Walking every object of one kind on the machine: the kernel hands out ids in increasing
 * order (BPF_*_GET_NEXT_ID) and opens each by id (BPF_*_GET_FD_BY_ID), two commands with no
 * lock between them.
 */

/**
 * Every id `nextId` (one of `progGetNextId`, `mapGetNextId`, `linkGetNextId`, `btfGetNextId`)
 * walks to, in increasing order, asking for each next id only when the loop asks for it. An
 * object freed during the walk is not listed once the walk has passed it; one created meanwhile
 * is listed when its id is above the walk's.
 */
export function* objectIds(nextId: (after: number) => number | null): Generator<number, void, undefined> {
  for (let id = nextId(0); id !== null; id = nextId(id)) yield id;
}

/**
 * Opens the object of each id in turn with `open` and yields it, open for the loop body only:
 * it is closed when the loop asks for the next one, and when the loop ends early (`break`,
 * `return`, a throw: the generator's `return()` runs then), so no descriptor outlives the loop.
 * Close one yourself (closing twice does nothing) or open your own to keep it: while it is open
 * its id stays valid, so `fromId(info().id)` cannot miss it.
 *
 * An object can be freed between the kernel listing its id and the open (the last reference
 * closed in that gap): `open` then fails, `gone(error)` says so (ENOENT), and the id is passed
 * over, as the object no longer exists. Any other failure (EPERM without CAP_SYS_ADMIN …) is
 * thrown.
 */
export function* openEachObject<T extends Disposable>(
  ids: Iterable<number>,
  open: (id: number) => T,
  gone: (error: unknown) => boolean,
): Generator<T, void, undefined> {
  for (const id of ids) {
    let object: T;
    try {
      object = open(id);
    } catch (e) {
      if (gone(e)) continue;
      throw e;
    }
    try {
      yield object;
    } finally {
      object[Symbol.dispose]();
    }
  }
}
