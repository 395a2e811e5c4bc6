import { BpfSyscallError } from '@ts-ebpf/syscall';
import { Errno } from '@ts-ebpf/uapi';
import type { BpfMap } from './map.js';

// What the batch operations share: their result types, the memory of the commands the kernel
// refused for a map (single operations stand in for those), the scratch storage of each map, and
// the encoding of keys and values back to back.

/** Where the next batch call continues. Opaque: pass it back unchanged. */
export interface BatchCursor {
  /** @internal The kernel's out_batch bytes, or the last key for the single-operation fallback. */
  readonly bytes: Uint8Array;
}

/** One chunk of a batch lookup. */
export interface BatchResult<K, V> {
  keys: K[];
  values: V[];
  /** Pass to the next call; null once `done`. */
  cursor: BatchCursor | null;
  /** True when the kernel reported the end of the map (ENOENT). */
  done: boolean;
}

/** One chunk of a batch lookup as the kernel's bytes, for callers that decode themselves. */
export interface RawBatchResult {
  /** Entries in this chunk. */
  count: number;
  /** `count` keys of the map's key size, back to back (a copy: yours to keep). */
  keys: Uint8Array;
  /** `count` values of the map's value size (per-CPU maps: every CPU's slot), back to back. */
  values: Uint8Array;
  /** Pass to the next call; null once `done`. */
  cursor: BatchCursor | null;
  /** True when the kernel reported the end of the map (ENOENT). */
  done: boolean;
}

/** Options of {@link BpfMap.getBatchBytes}. */
export interface RawBatchOptions {
  /**
   * An earlier result to refill: its key and value storage is reused when large enough, so
   * nothing is allocated for them (as `out` arguments are in libbpf and cilium/ebpf). Its
   * bytes are overwritten: pass it back only once done with them. Arrays you made yourself
   * are refilled only within their own view (never the rest of a Buffer's pool or of a larger
   * array); when too small, new storage replaces them. Ignored where the kernel refuses batch
   * lookups for the map type.
   */
  into?: RawBatchResult;
}

/** @internal A batch command, as the refusal memory names it. */
export type Op = 'lookup' | 'lookupAndDelete' | 'update' | 'delete';

/** @internal The errnos by which the kernel refuses a batch (or combined) command for a map type. */
export const refusals = new Set([Errno.EINVAL, Errno.EOPNOTSUPP, Errno.ENOTSUPP]);
const refused = new WeakMap<BpfMap<unknown, unknown>, Set<Op>>();

/** @internal Storage a map's batch calls reuse: keys, values and the kernel's batch cursors. */
export interface Scratch {
  keys: Uint8Array;
  values: Uint8Array;
  keyView: DataView;
  valueView: DataView;
  cursorIn: Uint8Array;
  cursorOut: Uint8Array;
}
const scratches = new WeakMap<BpfMap<unknown, unknown>, Scratch>();

/** @internal The scratch storage of `map`, made (or grown) to hold `count` keys and values. */
export function scratch(map: BpfMap<unknown, unknown>, count: number): Scratch {
  const ks = Math.max(map.keyCodec.size, 1) * count;
  const vs = Math.max(map.valueCodec.size, 1) * count;
  let s = scratches.get(map);
  if (!s || s.keys.byteLength < ks || s.values.byteLength < vs) {
    const keyStorage = new ArrayBuffer(ks);
    const valueStorage = new ArrayBuffer(vs);
    const c = Math.max(map.keySize, 8);
    s = {
      keys: new Uint8Array(keyStorage),
      values: new Uint8Array(valueStorage),
      keyView: new DataView(keyStorage),
      valueView: new DataView(valueStorage),
      cursorIn: new Uint8Array(c),
      cursorOut: new Uint8Array(c),
    };
    scratches.set(map, s);
  }
  return s;
}

/** @internal True when the kernel refused `op` for this map and single operations stand in. */
export function batchRefused(map: BpfMap<unknown, unknown>, op: Op): boolean {
  return refused.get(map)?.has(op) ?? false;
}

/**
 * @internal Whether `e`, thrown by the `first` call of `op` on this map, is the kernel refusing the
 * command for the map's type; if so it is remembered, and single operations stand in from then on
 * (a refusal after a call that succeeded is an error, not remembered).
 */
export function refuse(map: BpfMap<unknown, unknown>, op: Op, e: unknown, first: boolean): boolean {
  if (!first || !(e instanceof BpfSyscallError) || !refusals.has(e.errno)) return false;
  let s = refused.get(map);
  if (!s) {
    s = new Set();
    refused.set(map, s);
  }
  s.add(op);
  return true;
}

/** @internal Encodes `keys` back to back; a CodecError names the map and `keys[i]`. */
export function encodeKeys<K, V>(map: BpfMap<K, V>, keys: readonly K[], view: DataView) {
  const size = map.keyCodec.size;
  for (let i = 0; i < keys.length; i++) map.writeKey(view, i * size, keys[i] as K, `keys[${i}]`);
}

/** @internal Encodes `values` back to back; a CodecError names the map and `values[i]`. */
export function encodeValues<K, V>(map: BpfMap<K, V>, values: readonly V[], view: DataView) {
  const size = map.valueCodec.size;
  for (let i = 0; i < values.length; i++) map.writeValue(view, i * size, values[i] as V, `values[${i}]`);
}
