import { Epoll, EpollEvent } from '@ts-ebpf/syscall';
import type { Poller, PollRegistration } from './poller.js';

/** One caller of `reserveAsync` waiting for room. */
interface Waiter<R> {
  /** Reserves the sample when there is room now: @returns it, or undefined. */
  readonly take: () => R | undefined;
  readonly resolve: (record: R) => void;
  readonly reject: (error: unknown) => void;
  /** Clears the waiter's timer and abort listener. */
  readonly settle: () => void;
}

/**
 * The waits of a user ring buffer's producer for room: callers of `reserveAsync` queued in order,
 * each given its sample as soon as it fits.
 *
 * The kernel's poll of a user ring buffer (`ringbuf_map_poll_user`) reports `EPOLLOUT` whenever the
 * ring is not full, and its wait queue is woken when `bpf_user_ringbuf_drain` consumed samples.
 * The ring's fd is held by an epoll instance of its own, edge-triggered for `EPOLLOUT`: that epoll
 * becomes readable once per wake-up of the ring (after each drain), and the poller watches it for
 * readability. A level-triggered `EPOLLOUT` would report a ring with some room, but not enough for
 * the sample, at every turn of the event loop. Each wake-up reads the epoll's events (so it is
 * readable again only after the next drain), then looks at the room: a drain after that look
 * wakes it again, so none is missed.
 */
export class SpaceWaits<R> {
  readonly #fd: number;
  readonly #poller: Poller;
  readonly #waiters: Waiter<R>[] = [];
  #epoll: Epoll | undefined;
  #reg: PollRegistration | undefined;

  /** @param fd - the user ring buffer map's fd (kept open by the caller while this lives) */
  constructor(fd: number, poller: Poller) {
    this.#fd = fd;
    this.#poller = poller;
  }

  /** True while some caller waits. */
  get queued(): boolean {
    return this.#waiters.length > 0;
  }

  /** Queues `waiter` and starts watching for room. */
  add(waiter: Waiter<R>): void {
    this.#watch();
    this.#waiters.push(waiter);
  }

  /** Takes `waiter` out of the queue (timed out or aborted): @returns false when it was not queued. */
  remove(waiter: Waiter<R>): boolean {
    const at = this.#waiters.indexOf(waiter);
    if (at < 0) return false;
    this.#waiters.splice(at, 1);
    waiter.settle();
    if (this.#waiters.length === 0) this.#unwatch();
    else if (at === 0) this.#serve(); // the next one may fit where the first did not
    return true;
  }

  #watch(): void {
    if (this.#reg) return;
    if (!this.#epoll) {
      const epoll = new Epoll();
      try {
        epoll.add(this.#fd, 0, (EpollEvent.OUT | EpollEvent.ET) >>> 0);
      } catch (e) {
        epoll.close();
        throw e;
      }
      this.#epoll = epoll;
    }
    this.#reg = this.#poller.add(this.#epoll.fd, { onReadable: this.#onReadable });
  }

  readonly #onReadable = (): void => {
    // the wake-up's events are read first: a drain from here on makes the epoll readable again
    this.#epoll?.wait(0, 1);
    this.#serve();
    if (this.#waiters.length > 0) this.#reg?.rearm();
  };

  /** Hands samples to the waiters in order, while the first one's fits. */
  #serve(): void {
    while (this.#waiters.length > 0) {
      const first = this.#waiters[0]!;
      let record: R | undefined;
      try {
        record = first.take();
      } catch (error) {
        this.#waiters.shift();
        first.settle();
        first.reject(error);
        continue;
      }
      if (record === undefined) break;
      this.#waiters.shift();
      first.settle();
      first.resolve(record);
    }
    if (this.#waiters.length === 0) this.#unwatch();
  }

  #unwatch(): void {
    this.#reg?.remove();
    this.#reg = undefined;
  }

  /** Rejects every waiter with `error()` and closes the epoll; idempotent. */
  close(error: () => unknown): void {
    this.#unwatch();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.settle();
      waiter.reject(error());
    }
    this.#epoll?.close();
    this.#epoll = undefined;
  }
}
