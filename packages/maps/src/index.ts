/**
 * @packageDocumentation
 * `@ts-ebpf/maps`: typed BPF maps of every type, codecs, iteration, batch operations,
 * per-CPU values, and ring buffer / perf buffer / user ring buffer readers and writers.
 */

export type { BatchCursor, BatchResult, RawBatchOptions, RawBatchResult } from './batch.js';
export { type BtfTypeLike, type BtfTypes, btfCodec } from './codecs/btf.js';
export { bytes, cstring, ipv4, ipv6, mac } from './codecs/bytes.js';
export { type Codec, decode, encode, type Infer, notACodec } from './codecs/codec.js';
export { isPerCpu, max, min, type PerCpuCodec, perCpu, sum } from './codecs/per-cpu.js';
export { i64AsNumber, u64AsNumber } from './codecs/safe-int64.js';
export { be16, be32, bool, f32, f64, i8, i16, i32, i64, u8, u16, u32, u64 } from './codecs/scalars.js';
export { socketValue } from './codecs/socket.js';
export {
  array,
  type Fields,
  type StructCodec,
  type StructOf,
  type StructOptions,
  struct,
} from './codecs/struct.js';
export {
  CodecError,
  IndexOutOfRangeError,
  InnerMapMismatchError,
  KeyExistsError,
  KeyNotFoundError,
  KeyOutOfRangeError,
  MapAccessError,
  MapCreateError,
  MapFrozenError,
  MapFullError,
  MapNotFoundError,
  MapSpecError,
  MapSyscallError,
  MapTypeError,
  NotAMapError,
  PinError,
  type PinMismatch,
  PinNotFoundError,
  PinnedMapMismatchError,
  StructOpsTypeError,
} from './errors.js';
export type { EventOptions, EventSubscription, SubscriptionOptions } from './event-stream.js';
export { ITERATION_CHUNK } from './iteration.js';
export {
  BloomFilter,
  type KeylessOptions,
  MapWrapper,
  PUSH_OVERWRITE,
  QueueMap,
  StackMap,
} from './keyless.js';
export { loadedMaps, mapIds } from './loaded-maps.js';
export {
  CgrpStorage,
  InodeStorage,
  type LocalStorageOptions,
  SkStorage,
  TaskStorage,
} from './local-storage.js';
export { type LpmKey, LpmTrie, lpmKey } from './lpm.js';
export { BpfMap } from './map.js';
export type { PinOpenOptions } from './map-access.js';
export type { MapCodecs } from './map-codecs.js';
export { ArrayOfMaps, HashOfMaps, MapOfMaps, type MapOfMapsOptions } from './map-in-map.js';
export type { MapBtf, MapPinning, MapSpec, MapTokenOption } from './map-spec.js';
export {
  isArrayType,
  isKeyless,
  isPerCpuType,
  iteratesInBatches,
  MapType,
  mapTypeName,
  Update,
} from './map-types.js';
export { MmapArray, type MmapArraySource, type MmapOptions } from './mmap-array.js';
export { PerfBuffer, type PerfBufferEvents, type PerfBufferOptions } from './perf-buffer.js';
export {
  OverwritablePerfBuffer,
  type OverwritablePerfBufferEvents,
  type OverwritablePerfBufferOptions,
} from './perf-overwritable.js';
export { PerfRingReader } from './perf-reader-base.js';
export { type ReuseWanted, reuseMismatches } from './pin-reuse.js';
export { defaultPoller, Poller, type PollRegistration, type PollSource, pollersStopped } from './poller.js';
export {
  CorruptRecordError,
  PollerWorkerNotFoundError,
  ReaderClosedError,
  ReaderStateError,
  ReserveAbortedError,
  ReserveTimeoutError,
  ReserveWaitError,
} from './reader-errors.js';
export type { ReaderStats, RecordLease, RingBufferEvents, RingBufferOptions } from './reader-types.js';
export { RecordBatch } from './record-batch.js';
export { RecordCursor } from './record-cursor.js';
export { LeasedRecords } from './record-lease.js';
export { RecordList } from './record-list.js';
export { type RecordSource, RecordView } from './record-view.js';
export { RingBuffer } from './ringbuf.js';
export { type CreateRequest as MapCreateRequest, checkSpec as checkMapSpec } from './spec-check.js';
export { storageBtf } from './storage-btf.js';
export {
  StructOpsMap,
  type StructOpsMapOptions,
  type StructOpsValueType,
  structOpsValueType,
} from './struct-ops.js';
export { isEntryless, isValueless, needsInnerMap } from './type-rules.js';
export { type ReserveOptions, type UserRecord, UserRingBuffer } from './user-ringbuf.js';
export {
  ArenaMap,
  ArrayMap,
  type ArrayMapOptions,
  type ArrayOptions,
  CgroupArray,
  type CommonOptions,
  CpuMap,
  DevMap,
  DevMapHash,
  HashMap,
  type KeyValueOptions,
  LruHashMap,
  LruPerCpuHashMap,
  NO_PREALLOC,
  PerCpuArrayMap,
  PerCpuHashMap,
  PerfEventArray,
  ProgArray,
  ReuseportSockArray,
  RingBufMap,
  SockHash,
  SockMap,
  StackTraceMap,
  UserRingBufMap,
  XskMap,
} from './wrappers.js';
