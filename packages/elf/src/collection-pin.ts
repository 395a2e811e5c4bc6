/**
 * Pinning every map or every program of a collection under one bpffs directory, each at
 * `<dir>/<name>`, all or nothing (libbpf's `bpf_object__pin_maps`, `bpf_object__pin_programs`
 * and their unpin counterparts).
 */
import { join } from 'node:path';
import {
  close,
  describeFdTarget,
  fdTarget,
  getPinned,
  mapInfo,
  type PinPlace,
  pinObject,
  pinPlace,
  progInfo,
  unpin,
} from '@ts-ebpf/syscall';
import { undoPins } from './create-maps.js';
import { CollectionPinError } from './errors.js';

/** One object of a collection to pin: its name there and (read when it is pinned) its fd. */
export interface Pinnable {
  readonly kind: 'map' | 'program';
  readonly name: string;
  /** The object's descriptor; reading it throws for an object closed since the load. */
  readonly target: { readonly fd: number };
}

/** The longest name of a directory entry (`NAME_MAX`). */
const NAME_MAX = 255;
/** The kernel id of the object of each kind behind an fd. */
const KERNEL_ID: Readonly<Record<Pinnable['kind'], (fd: number) => number>> = {
  map: (fd) => mapInfo(fd).id,
  program: (fd) => progInfo(fd).id,
};

/**
 * The file name an object is pinned under: its name with each `.` made `_`, as libbpf's
 * `bpf_object__pin_maps` does (bpffs refuses dots in names: `.bss` is pinned as `_bss`).
 */
export function pinFileName(name: string): string {
  return name.replaceAll('.', '_');
}

/** Each object with its pin path, checked: names that fit a directory entry, no two alike. */
function pinPaths(objects: readonly Pinnable[], dir: string): string[] {
  const byPath = new Map<string, Pinnable>();
  for (const o of objects) {
    const file = pinFileName(o.name);
    const path = join(dir, file);
    if (file.includes('/') || Buffer.byteLength(file) > NAME_MAX)
      throw new CollectionPinError(
        o.kind,
        o.name,
        path,
        `its name cannot be a bpffs file name (no '/', at most ${NAME_MAX} bytes)`,
      );
    const other = byPath.get(path);
    if (other)
      throw new CollectionPinError(
        o.kind,
        o.name,
        path,
        `${other.kind} '${other.name}' is pinned at the same path (dots become underscores)`,
      );
    byPath.set(path, o);
  }
  return [...byPath.keys()];
}

/** Whether the pin at `path` holds the very object `o` (of its kind, with its kernel id). */
function holds(path: string, o: Pinnable): boolean {
  let fd: number;
  try {
    fd = getPinned(path);
  } catch {
    return false; // not a pin at all (a directory, or a file of another filesystem)
  }
  try {
    const target = fdTarget(fd);
    const id = KERNEL_ID[o.kind];
    return target !== undefined && describeFdTarget(target) === o.kind && id(fd) === id(o.target.fd);
  } finally {
    close(fd);
  }
}

/**
 * Pins each object at `<dir>/<name>` (see {@link pinFileName}), making `dir` (on bpffs) when it
 * is missing. A path that holds the same object already is left as it is; one that holds
 * anything else fails the call before anything is pinned. When a pin fails part way, the pins
 * made before it (and the directories made for them) are removed.
 * @returns every object's pin path, in order
 * @throws CollectionPinError naming the object and its path, with the error behind it as `cause`
 */
export function pinAll(objects: readonly Pinnable[], dir: string): string[] {
  const paths = pinPaths(objects, dir);
  const places = paths.map((path) => pinPlace(path));
  const todo: number[] = [];
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i]!;
    if (!places[i]!.taken) todo.push(i);
    else if (!holds(paths[i]!, o))
      throw new CollectionPinError(
        o.kind,
        o.name,
        paths[i]!,
        'something else is there already: unpin it or pin elsewhere',
      );
  }
  const made: PinPlace[] = [];
  for (const i of todo) {
    const o = objects[i]!;
    try {
      pinObject(o.target.fd, paths[i]!);
    } catch (e) {
      throw failedPart(o, paths[i]!, e, made);
    }
    made.push(places[i]!);
  }
  return paths;
}

/** The error of a pin that failed part way, once the pins made before it are removed. */
function failedPart(o: Pinnable, path: string, e: unknown, made: readonly PinPlace[]): CollectionPinError {
  const why = `cannot pin it: ${(e as Error).message}`;
  try {
    undoPins(made);
  } catch (undo) {
    return new CollectionPinError(
      o.kind,
      o.name,
      path,
      `${why}; removing the ${made.length} pin(s) made before it failed too: ${(undo as Error).message}`,
      { cause: e },
    );
  }
  return new CollectionPinError(o.kind, o.name, path, why, { cause: e });
}

/**
 * Removes each object's pin at `<dir>/<name>`; a path where nothing is is passed over. A path
 * that holds another object fails the call before anything is removed (it is not this
 * collection's pin). Directories stay.
 * @returns the pin paths removed, in order
 * @throws CollectionPinError naming the object and its path
 */
export function unpinAll(objects: readonly Pinnable[], dir: string): string[] {
  const paths = pinPaths(objects, dir);
  const present: number[] = [];
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i]!;
    if (!pinPlace(paths[i]!).taken) continue;
    if (!holds(paths[i]!, o))
      throw new CollectionPinError(
        o.kind,
        o.name,
        paths[i]!,
        "something else is pinned there, not this collection's object: left in place",
      );
    present.push(i);
  }
  for (const i of present) {
    try {
      unpin(paths[i]!);
    } catch (e) {
      throw new CollectionPinError(objects[i]!.kind, objects[i]!.name, paths[i]!, (e as Error).message, {
        cause: e,
      });
    }
  }
  return present.map((i) => paths[i]!);
}
