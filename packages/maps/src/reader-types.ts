import type { Poller } from './poller.js';
import type { RecordView } from './record-view.js';

/** Counters of a reader. */
export interface ReaderStats {
  /** Records delivered. */
  records: number;
  /** Payload bytes delivered. */
  bytes: number;
  /** Records skipped because the producer discarded them (ring) or the kernel lost them (perf). */
  discarded: number;
}

/** Options of `RingBuffer.open`. */
export interface RingBufferOptions {
  /** The poller that watches the ring (default: the shared one). */
  poller?: Poller;
  /** Closes the reader when aborted. */
  signal?: AbortSignal;
}

/** A record held in place: `bytes` stays valid until `commit()` gives its space back. */
export interface RecordLease {
  readonly bytes: RecordView;
  commit(): void;
}

/**
 * The events of a `RingBuffer`, typed: `ring.on('record', (rec) => …)` gets a `Uint8Array`.
 */
export interface RingBufferEvents {
  /**
   * One record, as a copy that is yours to keep. While a listener is attached, every ready record
   * is emitted as the poller sees it (at most 1024 per wake-up, so the event loop keeps turning).
   */
  record: [record: Uint8Array];
  /** The reader was closed (by `close()`, `using`, or its abort signal). */
  close: [];
}
