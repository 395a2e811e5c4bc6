import { dupFd, MappedMemory, OwnedFd, Prot, pageSize } from '@ts-ebpf/syscall';
import { MapTypeError } from './errors.js';
import { mapOfType } from './map-open.js';
import { MapType } from './map-types.js';

// How a RingBuffer reader maps a BPF_MAP_TYPE_RINGBUF: the consumer page read-write; the producer
// page and the data area, mapped twice in a row so that a record that wraps is contiguous,
// read-only.

// The largest ring this reader maps (2^30 bytes; the kernel allows 2 GiB).
const MAX_RING_BYTES = 2 ** 30;

/**
 * @internal The ring buffer map behind `fd`, for `RingBuffer.open`: its data area size and its
 * label for messages.
 * @throws NotAMapError when `fd` is not an open map; MapTypeError for a map of another type, or a
 * ring larger than this reader maps
 */
export function ringOfMap(fd: number): { size: number; label: string } {
  const { info, label } = mapOfType(
    fd,
    MapType.RINGBUF,
    'RingBuffer.open',
    (type) => `a ${type} map is not a ring buffer (ringbuf); perf event arrays are read with PerfBuffer`,
  );
  // Offsets in the mapping (data area mapped twice) are walked as int32: up to 1 GiB of data.
  if (info.maxEntries > MAX_RING_BYTES)
    throw new MapTypeError(
      'RingBuffer.open',
      label,
      `it has ${info.maxEntries} bytes: this reader maps at most 1 GiB`,
    );
  return { size: info.maxEntries, label };
}

/** @internal A reader's mappings of a ring buffer map, and the fd they map. */
export interface RingMapping {
  /** A duplicate of the map's fd, owned by the reader: closing the map first does not break it. */
  readonly fd: OwnedFd;
  /** The consumer page, mapped read-write. */
  readonly consumer: MappedMemory;
  /** The producer page, then the data area mapped twice, read-only. */
  readonly data: MappedMemory;
  /**
   * The data mapping as words, bytes and a view: read-only memory, only ever read (see
   * MappedMemory.unsafeArrayBuffer).
   */
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** The consumer position's two words, in the consumer page. */
  readonly consPos: Uint32Array;
}

/**
 * @internal Maps the ring buffer map `mapFd`, of `size` data bytes, through a duplicate of its fd.
 * On failure nothing stays mapped or open.
 */
export function mapRing(mapFd: number, size: number): RingMapping {
  const page = pageSize();
  const owned = new OwnedFd(dupFd(mapFd), 'ring buffer reader fd');
  const fd = owned.fd;
  let consumer: MappedMemory | undefined;
  let data: MappedMemory;
  try {
    consumer = MappedMemory.map({ length: page, prot: Prot.READ | Prot.WRITE, fd });
    data = MappedMemory.map({ length: page + 2 * size, prot: Prot.READ, fd, offset: page });
  } catch (e) {
    consumer?.close();
    owned.close();
    throw e;
  }
  const buffer = data.unsafeArrayBuffer();
  return {
    fd: owned,
    consumer,
    data,
    words: new Uint32Array(buffer),
    bytes: new Uint8Array(buffer),
    view: new DataView(buffer),
    consPos: new Uint32Array(consumer.bytes.buffer, consumer.bytes.byteOffset, 2),
  };
}
