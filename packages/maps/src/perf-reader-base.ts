import { EventEmitter } from 'node:events';
import { ioctl, PerfIoctl } from '@ts-ebpf/syscall';
import type { CpuRing } from './perf-rings.js';

/**
 * What the perf event array readers ({@link PerfBuffer}, {@link OverwritablePerfBuffer}) share: their
 * per-CPU rings, and whether the kernel writes to them.
 *
 * {@link PerfRingReader.pause} is `PERF_EVENT_IOC_PAUSE_OUTPUT` with 1 (resume: 0) on every ring's
 * perf event. While paused, the kernel writes nothing to the rings: each sample a program outputs
 * is dropped (`bpf_perf_event_output` fails with `-ENOSPC`) and counted as lost, and the count is
 * written as a `PERF_RECORD_LOST` record ahead of the first sample output on that CPU after the
 * resume (kernel/events/ring_buffer.c, `__perf_output_begin`).
 */
export abstract class PerfRingReader<E extends Record<keyof E, unknown[]>> extends EventEmitter<E> {
  /** The per-CPU rings, filled by the subclass as it opens them. */
  protected readonly perfRings: CpuRing[] = [];
  readonly #bufferSize: number;
  #paused = false;

  /** @param bufferSize - the data bytes of each CPU's ring */
  protected constructor(bufferSize: number) {
    super();
    this.#bufferSize = bufferSize;
  }

  /** Throws a `ReaderClosedError` once the reader is closed. */
  protected abstract assertOpen(): void;

  /** Bytes of each CPU's data area (`pages` pages): cilium/ebpf's `BufferSize()`. */
  get bufferSize(): number {
    return this.#bufferSize;
  }

  /** CPUs read. */
  get cpus(): number[] {
    return this.perfRings.map((r) => r.cpu);
  }

  /**
   * Stops the kernel writing to every CPU's ring (cilium/ebpf's `Reader.Pause`) until
   * {@link PerfRingReader.resume}: samples already written stay readable. A sample a program
   * outputs meanwhile is dropped (`bpf_perf_event_output` returns `-ENOSPC`) and counted as lost by
   * the kernel, which reports the count (the `'lost'` event, `stats.discarded`) ahead of the first
   * sample written on that CPU after the resume. Idempotent. @throws ReaderClosedError once closed.
   */
  pause(): void {
    this.#setPaused(true);
  }

  /** Lets the kernel write samples again (cilium/ebpf's `Reader.Resume`); idempotent. @throws ReaderClosedError once closed. */
  resume(): void {
    this.#setPaused(false);
  }

  /** True between {@link PerfRingReader.pause} and {@link PerfRingReader.resume}. */
  get paused(): boolean {
    return this.#paused;
  }

  #setPaused(paused: boolean): void {
    this.assertOpen();
    for (const r of this.perfRings) ioctl(r.fd.fd, PerfIoctl.PAUSE_OUTPUT, paused ? 1 : 0);
    this.#paused = paused;
  }
}
