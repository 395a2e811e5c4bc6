import { BpfArgumentError, MappedMemory, Prot, pageSize, type ReadOnlyBytes } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { ReaderClosedError, ReaderStateError } from './errors.js';
import { mapOfType } from './map-open.js';
import { MapType } from './map-types.js';
import { BUSY, DISCARD, HEADER, readPosition, recordSpan, writePosition } from './ring-layout.js';

/** A reserved sample: fill `bytes`, then `submit()` (or `discard()`) exactly once. */
export interface UserRecord {
  /** The sample's space in the ring, writable until submit or discard. */
  readonly bytes: Uint8Array;
  submit(): void;
  discard(): void;
}

/**
 * The user-space producer of a `BPF_MAP_TYPE_USER_RINGBUF`: samples are reserved in
 * place, filled, and submitted; programs consume them with `bpf_user_ringbuf_drain`.
 * The consumer page is mapped read-only, the producer page and data read-write.
 * One producer per ring (calls are not synchronised across threads).
 */
export class UserRingBuffer implements Disposable {
  /** Data area size in bytes. */
  readonly size: number;
  readonly #consumer: MappedMemory;
  readonly #consumerPos: ReadOnlyBytes;
  readonly #data: MappedMemory;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #prodPos: Uint32Array;
  #prod: number;
  #closed = false;
  // How messages name this producer: `user ring buffer of user_ringbuf map 'requests'`.
  readonly #name: string;

  private constructor(fd: number, size: number, name: string) {
    this.#name = name;
    const page = pageSize();
    this.size = size;
    this.#consumer = MappedMemory.map({ length: page, prot: Prot.READ, fd });
    try {
      this.#data = MappedMemory.map({
        length: page + 2 * size,
        prot: Prot.READ | Prot.WRITE,
        fd,
        offset: page,
      });
    } catch (e) {
      this.#consumer.close();
      throw e;
    }
    this.#consumerPos = this.#consumer.reader();
    this.#bytes = this.#data.bytes;
    this.#view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    this.#prodPos = new Uint32Array(this.#bytes.buffer, this.#bytes.byteOffset, 2);
    this.#prod = readPosition(this.#prodPos);
  }

  /** Opens the producer side of a user ring buffer map. */
  static open(map: { readonly fd: number }): UserRingBuffer {
    const { info, label } = mapOfType(
      map.fd,
      MapType.USER_RINGBUF,
      'UserRingBuffer.open',
      (type) => `a ${type} map is not a user ring buffer (user_ringbuf)`,
    );
    return new UserRingBuffer(map.fd, info.maxEntries, `user ring buffer of ${label}`);
  }

  #consumed(): number {
    return readPosition(this.#consumerPos);
  }

  /** Bytes free for samples (each takes its size + 8, rounded up to 8). */
  get available(): number {
    return this.size - (this.#prod - this.#consumed());
  }

  /**
   * Reserves `size` bytes. @returns undefined when the ring is full now (the program has
   * not drained yet). @throws BpfArgumentError when `size` can never fit.
   */
  reserve(size: number): UserRecord | undefined {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with UserRingBuffer.open(map)');
    if (!Number.isInteger(size) || size <= 0)
      throw new BpfArgumentError(
        'size',
        `${size} for the ${this.#name}: a sample size is a positive integer`,
      );
    const total = recordSpan(size);
    if (total > this.size)
      throw new BpfArgumentError(
        'size',
        `a ${size}-byte sample cannot fit the ${this.size}-byte ${this.#name} (8-byte header included)`,
      );
    if (this.available < total) return undefined;
    const page = pageSize();
    const at = page + (this.#prod % this.size);
    this.#view.setUint32(at, size | BUSY, HOST_LITTLE_ENDIAN);
    this.#view.setUint32(at + 4, 0, HOST_LITTLE_ENDIAN);
    this.#setProd(this.#prod + total);
    const bytes = this.#bytes.subarray(at + HEADER, at + HEADER + size);
    let done = false;
    const finish = (flags: number, what: string) => {
      if (done)
        throw new ReaderStateError(
          this.#name,
          `${what} of a ${size}-byte sample that was already submitted or discarded: each reserved sample is submitted or discarded exactly once`,
        );
      done = true;
      if (!this.#closed) this.#view.setUint32(at, size | flags, HOST_LITTLE_ENDIAN);
    };
    return { bytes, submit: () => finish(0, 'submit'), discard: () => finish(DISCARD, 'discard') };
  }

  /** Copies `data` in as one sample. @returns false when the ring is full. */
  write(data: Uint8Array): boolean {
    const rec = this.reserve(data.byteLength);
    if (!rec) return false;
    rec.bytes.set(data);
    rec.submit();
    return true;
  }

  #setProd(pos: number): void {
    this.#prod = pos;
    writePosition(this.#prodPos, 0, pos);
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Unmaps the ring; idempotent. Reserved samples can no longer be submitted. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#consumer.close();
    this.#data.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
