import { BpfCmd, Errno } from '@ts-ebpf/uapi';
import { lazyAttr } from './attr.js';
import { bpfTry } from './bpf.js';
import { syscallError } from './errors.js';
import { MAP_BATCH } from './layouts.js';
import { batchError, mapSizes, valueBytes } from './map-sizes.js';
import { checkFd, checkU32, checkU64, shortBytes } from './validate.js';

/** Buffers and limits of one batch call. */
export interface MapBatchAttr {
  /** Opaque position from the previous call's `outBatch`; null starts at the beginning. */
  inBatch?: Uint8Array | null;
  /** Receives the position to pass as the next call's `inBatch`. */
  outBatch?: Uint8Array | null;
  /** `count` keys, packed. */
  keys: Uint8Array;
  /** `count` values, packed (per-CPU maps: round_up(valueSize, 8) × possible CPUs each); not for deletes. */
  values?: Uint8Array | null;
  /**
   * How many elements to process: the buffers must have room for this many (checked before the
   * call; a `BufferSizeError` names the buffer that is too short).
   */
  count: number;
  /** Flags for each element (`BPF_F_LOCK`, or `BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST` for updates). */
  elemFlags?: number;
  flags?: number;
}

/** What one batch call did. */
export interface MapBatchResult {
  /** Elements processed by this call. */
  count: number;
  /**
   * Lookups: true when the kernel reported the end of the map (ENOENT). Deletes: true when the
   * kernel stopped at a key the map does not hold (ENOENT): `count` keys before it were deleted,
   * the rest were not tried. Always false for updates.
   */
  done: boolean;
}

const batchAttr = lazyAttr(MAP_BATCH.SIZE);

type BatchKind = 'lookup' | 'update' | 'delete';

/**
 * Checks every buffer of a batch call against what the kernel reads or writes: `count` keys and
 * (but for deletes) `count` values of the map's sizes, and the batch positions.
 */
function checkBatch(fd: number, name: string, o: MapBatchAttr, kind: BatchKind): void {
  const s = mapSizes(fd, name);
  const count = checkU32(o.count, 'count');
  if (shortBytes(o.keys, count * s.keySize))
    batchError(fd, s, name, 'keys', o.keys, count, s.keySize, 'key_size');
  if (kind !== 'delete') {
    const each = valueBytes(s, o.elemFlags ?? 0);
    const v = o.values;
    if (shortBytes(v, count * each))
      batchError(
        fd,
        s,
        name,
        'values',
        v,
        count,
        each,
        each === s.valueSize ? 'value_size' : 'per-CPU value',
      );
  }
  const position = s.batchPositionSize;
  if (o.inBatch && shortBytes(o.inBatch, position))
    batchError(fd, s, name, 'inBatch', o.inBatch, 1, position, 'the batch position');
  if (kind === 'lookup' && (!o.outBatch || shortBytes(o.outBatch, position)))
    batchError(fd, s, name, 'outBatch', o.outBatch, 1, position, 'the batch position');
}

function batch(cmd: number, name: string, fd: number, o: MapBatchAttr, kind: BatchKind): MapBatchResult {
  checkBatch(fd, name, o, kind);
  const a = batchAttr();
  a.ptr(MAP_BATCH.in_batch, o.inBatch ?? null)
    .ptr(MAP_BATCH.out_batch, o.outBatch ?? null)
    .ptr(MAP_BATCH.keys, o.keys)
    .ptr(MAP_BATCH.values, kind === 'delete' ? null : (o.values ?? null))
    .u32(MAP_BATCH.count, o.count)
    .u32(MAP_BATCH.map_fd, checkFd(fd, 'mapFd'))
    .u64(MAP_BATCH.elem_flags, checkU64(o.elemFlags ?? 0, 'elemFlags'))
    .u64(MAP_BATCH.flags, checkU64(o.flags ?? 0, 'flags'));
  const r = bpfTry(cmd, a, MAP_BATCH.SIZE);
  const count = a.getU32(MAP_BATCH.count);
  if (r >= 0) return { count, done: false };
  // lookups: the end of the map; deletes: a missing key, where the kernel stops (count = deleted)
  if (kind !== 'update' && r === -Errno.ENOENT) return { count, done: true };
  throw syscallError(-r, { syscall: 'bpf', command: name, detail: `map fd ${fd}, ${count} processed` });
}

/** BPF_MAP_LOOKUP_BATCH: up to `count` keys and values from the position `inBatch`. */
export function mapLookupBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_LOOKUP_BATCH, 'BPF_MAP_LOOKUP_BATCH', fd, o, 'lookup');
}

/** BPF_MAP_LOOKUP_AND_DELETE_BATCH: like lookup, deleting what it returns. */
export function mapLookupAndDeleteBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH, 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', fd, o, 'lookup');
}

/** BPF_MAP_UPDATE_BATCH: writes `count` key/value pairs. */
export function mapUpdateBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_UPDATE_BATCH, 'BPF_MAP_UPDATE_BATCH', fd, o, 'update');
}

/**
 * BPF_MAP_DELETE_BATCH: deletes `count` keys in order. The kernel stops at the first key the map
 * does not hold: that is no error, the result says `done` with the `count` deleted before it.
 */
export function mapDeleteBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_DELETE_BATCH, 'BPF_MAP_DELETE_BATCH', fd, o, 'delete');
}
