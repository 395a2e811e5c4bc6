import { MapNotFoundError } from '@ts-ebpf/maps';
import { NotFoundError } from '@ts-ebpf/syscall';
import { ObjectNotFoundError } from './errors.js';

/**
 * Every object of one kind, in id order: `nextId` walks the kernel's ids and `open` opens each.
 * An id freed between the walk and the open (ENOENT) is passed over, as the object no longer
 * exists; any other failure is thrown.
 */
export function* eachObject<T>(
  nextId: (after: number) => number | null,
  open: (id: number) => T,
): Generator<T> {
  for (let id = nextId(0); id !== null; id = nextId(id)) {
    let object: T;
    try {
      object = open(id);
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof ObjectNotFoundError || e instanceof MapNotFoundError)
        continue;
      throw e;
    }
    yield object;
  }
}

/** The record of every object of one kind (see {@link eachObject}), each object closed once read. */
export function recordsOf<T extends Disposable, R>(
  nextId: (after: number) => number | null,
  open: (id: number) => T,
  record: (object: T) => R,
): R[] {
  const out: R[] = [];
  for (const o of eachObject(nextId, open)) {
    try {
      out.push(record(o));
    } finally {
      o[Symbol.dispose]();
    }
  }
  return out;
}
