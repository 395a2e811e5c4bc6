import { fstatSync, type Stats } from 'node:fs';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { BpfArgumentError, ObjectClosedError, OutOfBoundsError } from './errors.js';
import { sysMmap, sysMmapFixed, sysMunmap, sysPageSize, viewMemory } from './ffi/memory.js';
import { checkFd, checkInt } from './validate.js';

/** mmap protection bits. */
export const Prot = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;

/** mmap flags (the values shared by every architecture we support). */
export const MapFlag = {
  SHARED: 0x01,
  PRIVATE: 0x02,
  FIXED: 0x10,
  ANONYMOUS: 0x20,
  POPULATE: 0x8000,
} as const;

let cachedPageSize = 0;

/** The kernel's page size in bytes. */
export function pageSize(): number {
  if (cachedPageSize === 0) cachedPageSize = sysPageSize();
  return cachedPageSize;
}

/**
 * Read-only access to mapped memory. Read-only kernel pages (ring buffer
 * data, producer positions) are only reachable through this class, so JS
 * cannot write them; every read checks that the mapping is still there.
 * Multi-byte reads default to the host's byte order (the kernel's).
 */
export class ReadOnlyBytes {
  readonly #owner: MappedMemory;
  readonly #bytes: Uint8Array;
  #dataView: DataView | undefined;

  /** @internal */
  constructor(owner: MappedMemory, bytes: Uint8Array) {
    this.#owner = owner;
    this.#bytes = bytes;
  }

  // Made on first multi-byte read: windows that are only copied never pay for one.
  get #view(): DataView {
    this.#dataView ??= new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    return this.#dataView;
  }

  /** Length in bytes. */
  get length(): number {
    return this.#bytes.byteLength;
  }

  #check(offset: number, size: number): void {
    this.#owner.assertOpen();
    if (offset < 0 || offset + size > this.#bytes.byteLength || !Number.isInteger(offset)) {
      throw new OutOfBoundsError('mapped memory', offset, size, this.#bytes.byteLength);
    }
  }

  getUint8(offset: number): number {
    this.#check(offset, 1);
    return this.#bytes[offset]!;
  }

  getInt8(offset: number): number {
    this.#check(offset, 1);
    return (this.#bytes[offset]! << 24) >> 24;
  }

  getInt16(offset: number, littleEndian = HOST_LITTLE_ENDIAN): number {
    this.#check(offset, 2);
    return this.#view.getInt16(offset, littleEndian);
  }

  getBigInt64(offset: number, littleEndian = HOST_LITTLE_ENDIAN): bigint {
    this.#check(offset, 8);
    return this.#view.getBigInt64(offset, littleEndian);
  }

  getFloat32(offset: number, littleEndian = HOST_LITTLE_ENDIAN): number {
    this.#check(offset, 4);
    return this.#view.getFloat32(offset, littleEndian);
  }

  getFloat64(offset: number, littleEndian = HOST_LITTLE_ENDIAN): number {
    this.#check(offset, 8);
    return this.#view.getFloat64(offset, littleEndian);
  }

  getUint16(offset: number, littleEndian = HOST_LITTLE_ENDIAN): number {
    this.#check(offset, 2);
    return this.#view.getUint16(offset, littleEndian);
  }

  getUint32(offset: number, littleEndian = HOST_LITTLE_ENDIAN): number {
    this.#check(offset, 4);
    return this.#view.getUint32(offset, littleEndian);
  }

  getInt32(offset: number, littleEndian = HOST_LITTLE_ENDIAN): number {
    this.#check(offset, 4);
    return this.#view.getInt32(offset, littleEndian);
  }

  getBigUint64(offset: number, littleEndian = HOST_LITTLE_ENDIAN): bigint {
    this.#check(offset, 8);
    return this.#view.getBigUint64(offset, littleEndian);
  }

  /** A copy of bytes [start, end). */
  copy(start = 0, end = this.#bytes.byteLength): Uint8Array {
    this.#check(start, Math.max(0, end - start));
    return this.#bytes.slice(start, end);
  }

  /** Copies bytes [start, start + target.length) into `target`. */
  copyInto(target: Uint8Array, start = 0): Uint8Array {
    this.#check(start, target.byteLength);
    target.set(this.#bytes.subarray(start, start + target.byteLength));
    return target;
  }

  /** A read-only window on [start, end) sharing the same memory. */
  subarray(start: number, end: number): ReadOnlyBytes {
    this.#check(start, end - start);
    return new ReadOnlyBytes(this.#owner, this.#bytes.subarray(start, end));
  }
}

/** Options of {@link MappedMemory.map}. */
export interface MapOptions {
  length: number;
  /** `Prot.READ`, `Prot.READ | Prot.WRITE` … */
  prot: number;
  /** Default `MapFlag.SHARED`. */
  flags?: number;
  /** File to map; omit (or -1) with `MapFlag.ANONYMOUS`. */
  fd?: number;
  /** Byte offset into the file; a multiple of the page size. */
  offset?: number;
}

// A retired mapping is replaced by anonymous zero pages at the same address so
// that a Uint8Array someone kept can never touch unmapped memory; the
// placeholder is freed once that array is garbage.
const placeholders = new FinalizationRegistry<{ address: bigint; length: number }>(({ address, length }) => {
  try {
    sysMunmap(address, length);
  } catch {
    // nothing more can be done from a finalizer
  }
});

// A mapping nobody closed is unmapped once its memory is unreachable (no view of it left).
const forgottenMappings = new FinalizationRegistry<{ address: bigint; length: number }>(
  ({ address, length }) => {
    try {
      sysMunmap(address, length);
    } catch {
      // nothing more can be done from a finalizer
    }
  },
);

/**
 * Refuses a mapping of a regular file past the file's last page: a read of a page wholly beyond
 * the end of the file raises SIGBUS, which kills the process. (Other files, such as BPF maps,
 * ring buffers and perf events, have no size to compare with; the kernel checks their mappings.)
 */
function checkWithinFile(fd: number, offset: number, length: number): void {
  if (fd < 0) return; // the kernel refuses a file mapping without a file (EBADF)
  let stat: Stats;
  try {
    stat = fstatSync(fd);
  } catch {
    return; // not open: mmap answers with EBADF
  }
  if (!stat.isFile()) return;
  const page = pageSize();
  const end = Math.ceil(stat.size / page) * page;
  if (offset + length > end) {
    throw new BpfArgumentError(
      'length',
      `offset ${offset} + length ${length} runs past the last page of fd ${fd}'s file (${stat.size} bytes): a read there would raise SIGBUS`,
    );
  }
}

/**
 * An mmap'ed region. Writable mappings expose `bytes`; read-only ones only a
 * {@link ReadOnlyBytes} reader. `close()` unmaps (idempotent), and any view
 * handed out before then reads zeros afterwards instead of crashing.
 */
export class MappedMemory implements Disposable {
  /** Start address. */
  readonly address: bigint;
  /** Length in bytes. */
  readonly length: number;
  /** True when mapped with `Prot.WRITE`. */
  readonly writable: boolean;
  readonly #buffer: ArrayBuffer;
  #bytes: Uint8Array | undefined;
  #closed = false;

  private constructor(address: bigint, length: number, writable: boolean) {
    this.address = address;
    this.length = length;
    this.writable = writable;
    this.#buffer = viewMemory(address, length);
    // Registered on the buffer, which every view keeps alive: unmapped only when no view is left.
    forgottenMappings.register(this.#buffer, { address, length }, this);
  }

  /**
   * mmap(2) a file or anonymous memory. A mapping of a regular file past the file's last page is
   * refused. What the raw layer cannot check: a regular file truncated by anyone while it is
   * mapped; a read of a page that then lies wholly past its end raises SIGBUS, which kills the
   * process (the kernel offers no way to refuse the truncation). Map only regular files nobody
   * shrinks while the mapping is open; BPF maps, ring buffers and perf events cannot shrink.
   */
  static map(o: MapOptions): MappedMemory {
    checkInt(o.length, 'length', 1, Number.MAX_SAFE_INTEGER);
    const offset = o.offset ?? 0;
    if (offset % pageSize() !== 0) {
      throw new BpfArgumentError('offset', `${offset} is not a multiple of the page size ${pageSize()}`);
    }
    checkInt(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    // Every view of a mapping reads it: a read of memory mapped without PROT_READ kills the process.
    if ((checkInt(o.prot, 'prot', 0, 7) & Prot.READ) === 0) {
      throw new BpfArgumentError('prot', `${o.prot} lacks Prot.READ: every view of a mapping reads it`);
    }
    const flags = checkInt(o.flags ?? MapFlag.SHARED, 'flags', 0, 0x7fffffff);
    const fd = o.fd ?? -1;
    if (fd !== -1) checkFd(fd);
    if ((flags & MapFlag.ANONYMOUS) === 0) checkWithinFile(fd, offset, o.length);
    const address = sysMmap(o.length, o.prot, flags, fd, offset);
    return new MappedMemory(address, o.length, (o.prot & Prot.WRITE) !== 0);
  }

  /** Throws when the mapping was closed. */
  assertOpen(): void {
    if (this.#closed) throw new ObjectClosedError('memory mapping');
  }

  /** True once unmapped. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The mapping as bytes, for writable mappings only.
   * @throws BpfArgumentError for a read-only mapping (writing one would kill the process).
   */
  get bytes(): Uint8Array {
    this.assertOpen();
    if (!this.writable) {
      throw new BpfArgumentError('mapping', 'is read-only: use reader() to read it');
    }
    this.#bytes ??= new Uint8Array(this.#buffer);
    return this.#bytes;
  }

  /** A read-only accessor over the whole mapping (works for any mapping). */
  reader(): ReadOnlyBytes {
    this.assertOpen();
    return new ReadOnlyBytes(this, new Uint8Array(this.#buffer));
  }

  /**
   * The mapping's memory as an `ArrayBuffer`, for readers with a hot loop (ring and perf
   * buffer readers) that cannot afford a checked call per read. Unsafe: typed arrays over
   * it are writable in JS, and a write to a read-only mapping kills the process — only
   * read through it. After `close()` the buffer reads zeros (placeholder pages), so check
   * {@link MappedMemory.closed} where a stale read would matter.
   */
  unsafeArrayBuffer(): ArrayBuffer {
    this.assertOpen();
    return this.#buffer;
  }

  /** munmap(2); later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    forgottenMappings.unregister(this);
    sysMmapFixed(
      this.address,
      this.length,
      Prot.READ | Prot.WRITE,
      MapFlag.PRIVATE | MapFlag.ANONYMOUS | MapFlag.FIXED,
    );
    placeholders.register(this.#buffer, { address: this.address, length: this.length });
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
