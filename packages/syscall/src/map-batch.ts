import { BpfCmd } from '@ts-ebpf/uapi';
import { Attr } from './attr.js';
import { bpfTry } from './bpf.js';
import { syscallError } from './errors.js';
import { MAP_BATCH } from './layouts.js';
import { checkFd, checkU32 } from './validate.js';

const ENOENT = 2;

/** Buffers and limits of one batch call. */
export interface MapBatchAttr {
  /** Opaque position from the previous call's `outBatch`; null starts at the beginning. */
  inBatch?: Uint8Array | null;
  /** Receives the position to pass as the next call's `inBatch`. */
  outBatch?: Uint8Array | null;
  /** `count` keys, packed. */
  keys: Uint8Array;
  /** `count` values, packed (per-CPU maps: round_up(valueSize, 8) × possible CPUs each). */
  values?: Uint8Array | null;
  /** How many elements the buffers have room for. */
  count: number;
  /** Flags for each element (`BPF_F_LOCK`, or `BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST` for updates). */
  elemFlags?: number;
  flags?: number;
}

/** What one batch call did. */
export interface MapBatchResult {
  /** Elements processed by this call. */
  count: number;
  /** Lookups: true when the kernel reported the end of the map (ENOENT). Always false for updates and deletes. */
  done: boolean;
}

const batchAttr = new Attr(MAP_BATCH.SIZE);

function batch(cmd: number, name: string, fd: number, o: MapBatchAttr, iterates: boolean): MapBatchResult {
  const a = batchAttr;
  a.ptr(MAP_BATCH.in_batch, o.inBatch ?? null)
    .ptr(MAP_BATCH.out_batch, o.outBatch ?? null)
    .ptr(MAP_BATCH.keys, o.keys)
    .ptr(MAP_BATCH.values, o.values ?? null)
    .u32(MAP_BATCH.count, checkU32(o.count, 'count'))
    .u32(MAP_BATCH.map_fd, checkFd(fd, 'mapFd'))
    .u64(MAP_BATCH.elem_flags, o.elemFlags ?? 0)
    .u64(MAP_BATCH.flags, o.flags ?? 0);
  const r = bpfTry(cmd, a, MAP_BATCH.SIZE);
  const count = a.getU32(MAP_BATCH.count);
  if (r >= 0) return { count, done: false };
  if (iterates && r === -ENOENT) return { count, done: true };
  throw syscallError(-r, { syscall: 'bpf', command: name, detail: `map fd ${fd}, ${count} processed` });
}

/** BPF_MAP_LOOKUP_BATCH: up to `count` keys and values from the position `inBatch`. */
export function mapLookupBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_LOOKUP_BATCH, 'BPF_MAP_LOOKUP_BATCH', fd, o, true);
}

/** BPF_MAP_LOOKUP_AND_DELETE_BATCH: like lookup, deleting what it returns. */
export function mapLookupAndDeleteBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH, 'BPF_MAP_LOOKUP_AND_DELETE_BATCH', fd, o, true);
}

/** BPF_MAP_UPDATE_BATCH: writes `count` key/value pairs. */
export function mapUpdateBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_UPDATE_BATCH, 'BPF_MAP_UPDATE_BATCH', fd, o, false);
}

/** BPF_MAP_DELETE_BATCH: deletes `count` keys. */
export function mapDeleteBatch(fd: number, o: MapBatchAttr): MapBatchResult {
  return batch(BpfCmd.MAP_DELETE_BATCH, 'BPF_MAP_DELETE_BATCH', fd, o, false);
}
