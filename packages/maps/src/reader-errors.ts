import { ObjectClosedError } from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';

// The errors of the ring, perf and user ring buffer readers and writers, and of the poller they wait on.

/**
 * A ring, perf or user ring buffer used the wrong way for its state: a read inside a consume
 * callback, a read while a lease or cursor is held, a sample submitted twice. Names the reader and
 * what to do instead.
 */
export class ReaderStateError extends EbpfError {
  /** The reader, as messages name it (`ring buffer reader of map 'events'`). */
  readonly reader: string;

  constructor(reader: string, message: string) {
    super(`${reader}: ${message}`);
    this.reader = reader;
  }
}

/**
 * A perf ring whose bytes do not describe records: a record shorter than its own header, or a
 * sample longer than the record holding it. The kernel never writes such a ring; something else
 * wrote into its mapping. Names the reader, the CPU and the sizes found.
 */
export class CorruptRecordError extends ReaderStateError {
  /** The CPU whose ring holds the record. */
  readonly cpu: number;
  /** The record's size in bytes, from its header. */
  readonly recordSize: number;

  /**
   * @param reader - the reader, as messages name it
   * @param cpu - the CPU whose ring holds the record
   * @param recordSize - the record's size from its header
   * @param what - what is wrong with it
   */
  constructor(reader: string, cpu: number, recordSize: number, what: string) {
    super(reader, `corrupt ${what} on CPU ${cpu}`);
    this.cpu = cpu;
    this.recordSize = recordSize;
  }
}

/**
 * The poller's worker script (`poller-worker.js` beside the package's build), which readers in
 * worker threads wait on, is missing: the installation of `@ts-ebpf/maps` is incomplete.
 */
export class PollerWorkerNotFoundError extends EbpfError {
  /** Where the worker script was looked for. */
  readonly path: string;

  /** @param path - where the worker script was looked for */
  constructor(path: string) {
    super(
      `the poller worker script ${path} does not exist: the @ts-ebpf/maps installation is incomplete (reinstall it), so ring and perf buffers cannot be polled in worker threads`,
    );
    this.path = path;
  }
}

/**
 * A wait for room in a user ring buffer (`UserRingBuffer.reserveAsync`) that ended without a
 * sample: a {@link ReserveTimeoutError} or a {@link ReserveAbortedError}. Names the ring and the
 * sample size.
 */
export class ReserveWaitError extends EbpfError {
  /** The ring, as messages name it (`user ring buffer of user_ringbuf map 'requests'`). */
  readonly ring: string;
  /** The sample size asked for, in bytes. */
  readonly size: number;

  constructor(ring: string, size: number, message: string, options?: { readonly cause?: unknown }) {
    super(`${ring}: ${message}`, options);
    this.ring = ring;
    this.size = size;
  }
}

/**
 * The programs draining a user ring buffer did not free room for the sample within `timeoutMs`
 * of `UserRingBuffer.reserveAsync`.
 */
export class ReserveTimeoutError extends ReserveWaitError {
  /** How long the wait was, in milliseconds. */
  readonly timeoutMs: number;

  constructor(ring: string, size: number, timeoutMs: number, free: number) {
    super(
      ring,
      size,
      `no room for a ${size}-byte sample after ${timeoutMs} ms (${free} bytes free, the sample takes ${size} + an 8-byte header, rounded up to 8): no program drained the ring in time`,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** The `signal` of `UserRingBuffer.reserveAsync` aborted the wait: `cause` is the signal's reason. */
export class ReserveAbortedError extends ReserveWaitError {
  constructor(ring: string, size: number, reason: unknown) {
    super(ring, size, `the wait for room for a ${size}-byte sample was aborted`, { cause: reason });
  }
}

/** A reader used after `close()`: names the reader and says to open a new one. */
export class ReaderClosedError extends ObjectClosedError {
  constructor(reader: string, reopen: string) {
    super(reader);
    this.message = `${reader} is closed: ${reopen}`;
    this.name = 'ReaderClosedError';
  }
}
