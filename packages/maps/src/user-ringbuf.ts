import {
  BpfArgumentError,
  dupFd,
  MappedMemory,
  OwnedFd,
  Prot,
  pageSize,
  type ReadOnlyBytes,
} from '@ts-ebpf/syscall';
import { describeValue, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { mapOfType } from './map-open.js';
import { MapType } from './map-types.js';
import { defaultPoller, type Poller } from './poller.js';
import {
  ReaderClosedError,
  ReaderStateError,
  ReserveAbortedError,
  ReserveTimeoutError,
} from './reader-errors.js';
import { BUSY, DISCARD, HEADER, readPosition, recordSpan, writePosition } from './ring-layout.js';
import { SpaceWaits } from './user-ring-wait.js';

/** A reserved sample: fill `bytes`, then `submit()` (or `discard()`) exactly once. */
export interface UserRecord {
  /** The sample's space in the ring, writable until submit or discard. */
  readonly bytes: Uint8Array;
  submit(): void;
  discard(): void;
}

/**
 * The largest sample a program can drain: `bpf_user_ringbuf_drain` hands each sample to its
 * callback as a `bpf_dynptr`, whose size is at most `DYNPTR_MAX_SIZE`, 2^24 - 1 (include/linux/bpf.h);
 * a larger one fails the drain with E2BIG and stays at the ring's head (kernel/bpf/ringbuf.c,
 * `__bpf_user_ringbuf_peek`).
 */
const DYNPTR_MAX_SIZE = 2 ** 24 - 1;

/** Options of {@link UserRingBuffer.reserveAsync}. */
export interface ReserveOptions {
  /**
   * Gives up after this many milliseconds (a non-negative integer) with a `ReserveTimeoutError`;
   * 0 gives up at once when there is no room now. Default: wait until there is room.
   */
  timeoutMs?: number;
  /** Gives up when aborted, with a `ReserveAbortedError` whose `cause` is the signal's reason. */
  signal?: AbortSignal;
  /** Watches the ring for room (default: the process-wide poller). */
  poller?: Poller;
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
  // A duplicate of the map's fd, owned by the producer: polled for room by reserveAsync.
  readonly #fd: OwnedFd;
  // The reserveAsync callers waiting for room (made on the first wait).
  #waits: SpaceWaits<UserRecord> | undefined;
  // How messages name this producer: `user ring buffer of user_ringbuf map 'requests'`.
  readonly #name: string;

  private constructor(fd: number, size: number, name: string) {
    this.#name = name;
    const page = pageSize();
    this.size = size;
    this.#fd = new OwnedFd(dupFd(fd), 'user ring buffer fd');
    let consumer: MappedMemory | undefined;
    try {
      consumer = MappedMemory.map({ length: page, prot: Prot.READ, fd });
      this.#data = MappedMemory.map({
        length: page + 2 * size,
        prot: Prot.READ | Prot.WRITE,
        fd,
        offset: page,
      });
    } catch (e) {
      consumer?.close();
      this.#fd.close();
      throw e;
    }
    this.#consumer = consumer;
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
   * not drained yet). @throws BpfArgumentError when `size` can never fit, or is more than a
   * program can drain (2^24 - 1 bytes, the most a `bpf_dynptr` holds).
   */
  reserve(size: number): UserRecord | undefined {
    const total = this.#checkReserve(size);
    if (this.available < total) return undefined;
    return this.#reserveNow(size, total);
  }

  /** Checks that the producer is open and `size` can fit: @returns the ring bytes it takes. */
  #checkReserve(size: number): number {
    if (this.#closed) throw new ReaderClosedError(this.#name, 'open a new one with UserRingBuffer.open(map)');
    if (!Number.isInteger(size) || size <= 0)
      throw new BpfArgumentError(
        'size',
        `${size} for the ${this.#name}: a sample size is a positive integer`,
      );
    if (size > DYNPTR_MAX_SIZE)
      throw new BpfArgumentError(
        'size',
        `a ${size}-byte sample for the ${this.#name}: a program drains a sample through a bpf_dynptr, which holds at most ${DYNPTR_MAX_SIZE} bytes; the kernel would refuse it (E2BIG) at the head of the ring, and every later drain with it`,
      );
    const total = recordSpan(size);
    if (total > this.size)
      throw new BpfArgumentError(
        'size',
        `a ${size}-byte sample cannot fit the ${this.size}-byte ${this.#name} (8-byte header included)`,
      );
    return total;
  }

  /**
   * Reserves `size` bytes, waiting for room when the ring is full: libbpf's
   * `user_ring_buffer__reserve_blocking`, without blocking the thread. The ring's fd is polled
   * for room (the kernel wakes it after each `bpf_user_ringbuf_drain` that consumed samples), and
   * the sample is reserved as soon as it fits. Waits are served in the order they were made; a
   * `reserve()` made meanwhile is not queued behind them.
   * @returns the reserved sample: fill it, then `submit()` or `discard()` it.
   * @throws (rejects with) BpfArgumentError when `size` can never fit or `timeoutMs` is not a
   *   non-negative integer; ReserveTimeoutError after `timeoutMs`; ReserveAbortedError when
   *   `signal` aborts; ReaderClosedError when the producer is (or gets) closed.
   */
  async reserveAsync(size: number, options: ReserveOptions = {}): Promise<UserRecord> {
    const total = this.#checkReserve(size);
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs >= 0))
      throw new BpfArgumentError(
        'timeoutMs',
        `${describeValue(timeoutMs)} for the ${this.#name}: a timeout is a non-negative integer of milliseconds (leave it out to wait without one)`,
      );
    if (signal?.aborted) throw new ReserveAbortedError(this.#name, size, signal.reason);
    const take = () => (this.available < total ? undefined : this.#reserveNow(size, total));
    if (!this.#waits?.queued) {
      const now = take();
      if (now) return now;
    }
    if (timeoutMs === 0) throw new ReserveTimeoutError(this.#name, size, 0, this.available);
    this.#waits ??= new SpaceWaits(this.#fd.fd, options.poller ?? defaultPoller());
    const waits = this.#waits;
    return new Promise<UserRecord>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (waits.remove(waiter)) reject(new ReserveAbortedError(this.#name, size, signal?.reason));
      };
      const waiter = {
        take,
        resolve,
        reject,
        settle: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      waits.add(waiter);
      if (timeoutMs !== undefined)
        timer = setTimeout(() => {
          if (waits.remove(waiter))
            reject(new ReserveTimeoutError(this.#name, size, timeoutMs, this.available));
        }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #reserveNow(size: number, total: number): UserRecord {
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

  /**
   * Unmaps the ring; idempotent. Reserved samples can no longer be submitted, and waits of
   * `reserveAsync` reject with a `ReaderClosedError`.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waits?.close(
      () =>
        new ReaderClosedError(
          this.#name,
          'reserveAsync stopped waiting for room; open a new one with UserRingBuffer.open(map)',
        ),
    );
    this.#consumer.close();
    this.#data.close();
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
