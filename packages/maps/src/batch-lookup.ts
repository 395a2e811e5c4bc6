import {
  BpfSyscallError,
  type MapBatchResult,
  mapDeleteElem,
  mapGetNextKey,
  mapLookupAndDeleteBatch,
  mapLookupAndDeleteElem,
  mapLookupBatch,
  mapLookupElem,
} from '@ts-ebpf/syscall';
import { Errno } from '@ts-ebpf/uapi';
import {
  type BatchCursor,
  type BatchResult,
  batchRefused,
  encodeKeys,
  encodeValues,
  type Op,
  type RawBatchOptions,
  type RawBatchResult,
  refusals,
  refuse,
  type Scratch,
  scratch,
} from './batch.js';
import type { BpfMap } from './map.js';

// BPF_MAP_LOOKUP_BATCH and BPF_MAP_LOOKUP_AND_DELETE_BATCH, decoded or as the kernel's bytes; a
// walk with BPF_MAP_GET_NEXT_KEY and single lookups where the kernel refuses them for the map type.

function kernelLookup<K, V>(
  map: BpfMap<K, V>,
  del: boolean,
  cursor: BatchCursor | null,
  count: number,
): { count: number; s: Scratch; cursor: BatchCursor | null; done: boolean } {
  const fd = map.fd;
  let s = scratch(map as BpfMap<unknown, unknown>, count);
  if (cursor) s.cursorIn.set(cursor.bytes.subarray(0, s.cursorIn.byteLength));
  let r: MapBatchResult;
  for (let n = count; ; n *= 2) {
    try {
      const o = {
        inBatch: cursor ? s.cursorIn : null,
        outBatch: s.cursorOut,
        keys: s.keys,
        values: s.values,
        count: n,
      };
      r = del ? mapLookupAndDeleteBatch(fd, o) : mapLookupBatch(fd, o);
      break;
    } catch (e) {
      // A hash bucket holds more elements than fit: retry with more room.
      if (!(e instanceof BpfSyscallError) || e.errno !== Errno.ENOSPC || n > 1 << 20) throw e;
      s = scratch(map as BpfMap<unknown, unknown>, n * 2);
    }
  }
  return { count: r.count, s, cursor: r.done ? null : { bytes: s.cursorOut.slice() }, done: r.done };
}

// `del`: the kernel removed the entries already, and a value that does not decode says so.
function decoded<K, V>(
  map: BpfMap<K, V>,
  r: ReturnType<typeof kernelLookup>,
  del: boolean,
): BatchResult<K, V> {
  const ks = map.keyCodec.size;
  const vs = map.valueCodec.size;
  const keys = new Array<K>(r.count);
  const values = new Array<V>(r.count);
  for (let i = 0; i < r.count; i++) {
    keys[i] = map.readKey(r.s.keyView, i * ks);
    values[i] = del ? map.readTakenValue(r.s.valueView, i * vs) : map.readValue(r.s.valueView, i * vs);
  }
  return { keys, values, cursor: r.cursor, done: r.done };
}

// Lookup-and-delete of one element; lookup then delete where the map type lacks the combined command.
function takeElem(fd: number, key: Uint8Array, value: Uint8Array): boolean {
  try {
    return mapLookupAndDeleteElem(fd, key, value);
  } catch (e) {
    if (!(e instanceof BpfSyscallError) || !refusals.has(e.errno)) throw e;
    return mapLookupElem(fd, key, value) && mapDeleteElem(fd, key);
  }
}

function singleLookup<K, V>(
  map: BpfMap<K, V>,
  del: boolean,
  cursor: BatchCursor | null,
  count: number,
): BatchResult<K, V> {
  const fd = map.fd;
  const s = scratch(map as BpfMap<unknown, unknown>, 2);
  const ks = map.keyCodec.size;
  const prev = s.keys.subarray(0, ks);
  const next = s.keys.subarray(ks, 2 * ks);
  const value = s.values.subarray(0, map.valueCodec.size);
  // After deleting, the walk starts over: what it took is gone.
  let have = !del && cursor !== null;
  if (have) prev.set(cursor!.bytes);
  const keys: K[] = [];
  const values: V[] = [];
  while (keys.length < count) {
    if (!mapGetNextKey(fd, have ? prev : null, next)) return { keys, values, cursor: null, done: true };
    const found = del ? takeElem(fd, next, value) : mapLookupElem(fd, next, value);
    if (found) {
      keys.push(map.readKey(s.keyView, ks));
      values.push(del ? map.readTakenValue(s.valueView, 0) : map.readValue(s.valueView, 0));
    }
    prev.set(next);
    have = !del;
  }
  return { keys, values, cursor: { bytes: prev.slice() }, done: false };
}

/**
 * The kernel's batch lookup, or undefined where it refuses the command for this map: refused
 * before (remembered), or now, on the `first` call of a walk (then remembered). A refusal later
 * in a walk, or any other error, is thrown.
 */
function batchLookup<K, V>(
  map: BpfMap<K, V>,
  del: boolean,
  cursor: BatchCursor | null,
  count: number,
  first: boolean,
): ReturnType<typeof kernelLookup> | undefined {
  const m = map as BpfMap<unknown, unknown>;
  const op: Op = del ? 'lookupAndDelete' : 'lookup';
  if (batchRefused(m, op)) return undefined;
  try {
    return kernelLookup(map, del, cursor, count);
  } catch (e) {
    if (refuse(m, op, e, first)) return undefined;
    throw e;
  }
}

function lookup<K, V>(map: BpfMap<K, V>, del: boolean, cursor: BatchCursor | null, count: number) {
  return batchLookup(map, del, cursor, count, cursor === null) ?? singleLookup(map, del, cursor, count);
}

function decodedLookup<K, V>(map: BpfMap<K, V>, del: boolean, cursor: BatchCursor | null, count: number) {
  const r = lookup(map, del, cursor, count);
  return 's' in r ? decoded(map, r, del) : r;
}

/**
 * @internal Removes every entry with BPF_MAP_LOOKUP_AND_DELETE_BATCH, `count` at a time, decoding
 * nothing (a key or value its codec cannot read does not stop it); the number removed, or
 * undefined where the kernel refuses batch deletes for the map's type.
 */
export function deleteAllInBatches(map: BpfMap<unknown, unknown>, count: number): number | undefined {
  let n = 0;
  for (;;) {
    // From the start each time: what the call before returned is gone. Only the first call
    // can find the command refused (a later one has succeeded before it).
    const r = batchLookup(map, true, null, count, n === 0);
    if (r === undefined) return undefined;
    n += r.count;
    if (r.done || r.count === 0) return n;
  }
}

/** BPF_MAP_LOOKUP_BATCH: up to `count` entries from `cursor` (null: the start). */
export function getBatch<K, V>(
  map: BpfMap<K, V>,
  cursor: BatchCursor | null = null,
  count = 256,
): BatchResult<K, V> {
  return decodedLookup(map, false, cursor, count);
}

/** BPF_MAP_LOOKUP_AND_DELETE_BATCH: like {@link getBatch}, removing what it returns. */
export function getAndDeleteBatch<K, V>(
  map: BpfMap<K, V>,
  cursor: BatchCursor | null = null,
  count = 256,
): BatchResult<K, V> {
  return decodedLookup(map, true, cursor, count);
}

/**
 * Like {@link getBatch}, without decoding: the kernel's key and value bytes, copied once.
 * The fastest way to read a large map when you decode only some fields yourself.
 */
export function getBatchBytes<K, V>(
  map: BpfMap<K, V>,
  cursor: BatchCursor | null = null,
  count = 256,
  options: RawBatchOptions = {},
): RawBatchResult {
  const ks = map.keyCodec.size;
  const vs = map.valueCodec.size;
  const r = lookup(map, false, cursor, count);
  if ('s' in r) {
    const into = options.into;
    const keys = copyOut(r.s.keys, r.count * ks, into?.keys ?? null, count * ks);
    const values = copyOut(r.s.values, r.count * vs, into?.values ?? null, count * vs);
    if (!into) return { count: r.count, keys, values, cursor: r.cursor, done: r.done };
    into.count = r.count;
    into.keys = keys;
    into.values = values;
    into.cursor = r.cursor;
    into.done = r.done;
    return into;
  }
  // single-operation fallback: encode what it decoded
  const keyStorage = new ArrayBuffer(r.keys.length * ks);
  const valueStorage = new ArrayBuffer(r.keys.length * vs);
  encodeKeys(map, r.keys, new DataView(keyStorage));
  encodeValues(map, r.values as V[], new DataView(valueStorage));
  const keys = new Uint8Array(keyStorage);
  const values = new Uint8Array(valueStorage);
  return { count: r.keys.length, keys, values, cursor: r.cursor, done: r.done };
}

// Storage this module allocated for raw results. Only such storage is refilled past the end of
// the view `into` holds: an `into` the caller made may share its ArrayBuffer with other data (a
// Node Buffer's pool, the rest of a larger array), and only its own bytes are its to overwrite.
const ownStorage = new WeakSet<ArrayBufferLike>();

// The first `n` bytes of `src`. Without `reuse`, an exact copy. With it, in its own bytes where
// they are enough; else, where it is storage made here, in that storage from its start when it
// has room; else in new storage of `capacity` bytes for the next refills.
function copyOut(src: Uint8Array, n: number, reuse: Uint8Array | null, capacity: number): Uint8Array {
  let out: Uint8Array;
  if (!reuse) {
    out = src.slice(0, n);
    ownStorage.add(out.buffer);
    return out;
  }
  if (reuse.byteLength >= n) out = reuse.byteLength === n ? reuse : reuse.subarray(0, n);
  else if (reuse.byteOffset === 0 && ownStorage.has(reuse.buffer) && reuse.buffer.byteLength >= n)
    out = new Uint8Array(reuse.buffer, 0, n);
  else {
    const storage = new ArrayBuffer(Math.max(n, capacity));
    ownStorage.add(storage);
    out = new Uint8Array(storage, 0, n);
  }
  out.set(src.subarray(0, n));
  return out;
}
