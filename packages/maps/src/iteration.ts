import {
  mapDeleteElem,
  mapGetNextKey,
  mapLookupAndDeleteElem,
  mapLookupElem,
  mapUpdateElem,
} from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { type BatchCursor, type BatchResult, batchRefused, type RawBatchResult } from './batch.js';
import { deleteAllInBatches, getBatch, getBatchBytes } from './batch-lookup.js';
import type { BpfMap } from './map.js';
import { isArrayType, iteratesInBatches, MapType } from './map-types.js';

/** How many entries one batch call fetches while iterating. */
export const ITERATION_CHUNK = 512;

function keyString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * Walks the map with BPF_MAP_GET_NEXT_KEY. When the previous key was deleted
 * meanwhile, hash-like maps restart from their first key: keys already seen
 * are skipped, so every key present throughout the walk is visited exactly once.
 */
function* walk<K, V>(map: BpfMap<K, V>, withValues: boolean): Generator<[K, V | undefined]> {
  const valueStorage = new ArrayBuffer(Math.max(map.valueCodec.size, 1));
  const value = new Uint8Array(valueStorage);
  const valueView = new DataView(valueStorage);
  for (const { bytes, view, at } of walkKeyBytes(map)) {
    const key = map.readKey(view, at);
    if (!withValues) {
      yield [key, undefined];
      continue;
    }
    // Deleted between get_next_key and lookup: skip it.
    if (mapLookupElem(map.fd, bytes, value)) yield [key, map.readValue(valueView, 0)];
  }
}

/** A key as {@link walkKeyBytes} yields it: valid until the next step. */
interface KeyBytes {
  bytes: Uint8Array;
  view: DataView;
  at: number;
}

/** The BPF_MAP_GET_NEXT_KEY walk of {@link walk}, yielding each key's bytes undecoded. */
function* walkKeyBytes(map: BpfMap<unknown, unknown>): Generator<KeyBytes> {
  const ks = map.keyCodec.size;
  const keyStorage = new ArrayBuffer(2 * ks);
  const buf = new Uint8Array(keyStorage);
  const view = new DataView(keyStorage);
  let prev = buf.subarray(0, ks);
  let next = buf.subarray(ks);
  let prevAt = 0;
  let nextAt = ks;
  const seen = isArrayType(map.type) ? undefined : new Set<string>();
  const step: KeyBytes = { bytes: prev, view, at: prevAt };
  let have = false;
  for (;;) {
    if (!mapGetNextKey(map.fd, have ? prev : null, next)) return;
    [prev, next, prevAt, nextAt] = [next, prev, nextAt, prevAt];
    have = true;
    if (seen) {
      const id = keyString(prev);
      if (seen.has(id)) continue;
      seen.add(id);
    }
    step.bytes = prev;
    step.at = prevAt;
    yield step;
  }
}

/** @internal Entries of a map: batch lookups where the kernel offers them, else a key walk. */
export function* entries<K, V>(map: BpfMap<K, V>, withValues = true): Generator<[K, V | undefined]> {
  if (iteratesInBatches(map.type) && !batchRefused(map as BpfMap<unknown, unknown>, 'lookup')) {
    let cursor: BatchCursor | null = null;
    for (;;) {
      const r: BatchResult<K, V> = getBatch(map, cursor, ITERATION_CHUNK);
      for (let i = 0; i < r.keys.length; i++) yield [r.keys[i]!, r.values[i]];
      if (r.done) return;
      cursor = r.cursor;
    }
  }
  yield* walk(map, withValues);
}

/** @internal Number of entries (arrays: maxEntries), counted with batch lookups where possible. */
export function count(map: BpfMap<unknown, unknown>): number {
  if (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY) return map.maxEntries;
  let n = 0;
  if (iteratesInBatches(map.type) && !batchRefused(map, 'lookup')) {
    // counted from the kernel's bytes: nothing decoded, one result refilled
    let r: RawBatchResult | undefined;
    for (let cursor: BatchCursor | null = null; ; ) {
      r = getBatchBytes(map, cursor, ITERATION_CHUNK, { into: r });
      n += r.count;
      if (r.done) return n;
      cursor = r.cursor;
    }
  }
  for (const _ of walk(map, false)) n++;
  return n;
}

/** @internal Removes every entry (arrays: zeroes every value; queues and stacks: pops them). */
export function clear(map: BpfMap<unknown, unknown>): number {
  const fd = map.fd;
  if (map.type === MapType.QUEUE || map.type === MapType.STACK) {
    // popped as bytes: clearing decodes nothing, so a value its codec cannot read does not stop it
    const value = new Uint8Array(Math.max(map.valueCodec.size, 1));
    let n = 0;
    while (mapLookupAndDeleteElem(fd, null, value)) n++;
    return n;
  }
  if (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY) {
    const keyStorage = new ArrayBuffer(4);
    const key = new Uint8Array(keyStorage);
    const kv = new DataView(keyStorage);
    const zero = new Uint8Array(map.valueCodec.size);
    for (let i = 0; i < map.maxEntries; i++) {
      kv.setUint32(0, i, HOST_LITTLE_ENDIAN);
      mapUpdateElem(fd, key, zero);
    }
    return map.maxEntries;
  }
  // Keys and values are never decoded: a key or value its codec cannot read does not stop it.
  if (iteratesInBatches(map.type)) {
    const n = deleteAllInBatches(map, ITERATION_CHUNK);
    if (n !== undefined) return n;
  }
  const keys = Array.from(walkKeyBytes(map), (k) => k.bytes.slice());
  let n = 0;
  for (const k of keys) if (mapDeleteElem(fd, k)) n++;
  return n;
}
