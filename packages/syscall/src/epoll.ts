import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { OwnedFd } from './fd.js';
import { sysEpollCreate1, sysEpollCtl, sysEpollPwait } from './ffi/events.js';
import { checkFd, checkInt, checkU32 } from './validate.js';

/** epoll event bits. */
export const EpollEvent = {
  IN: 0x001,
  PRI: 0x002,
  OUT: 0x004,
  ERR: 0x008,
  HUP: 0x010,
  RDHUP: 0x2000,
  EXCLUSIVE: 1 << 28,
  WAKEUP: 1 << 29,
  ONESHOT: 1 << 30,
  ET: 0x80000000,
} as const;

/** epoll_ctl operations. */
export const EpollOp = { ADD: 1, DEL: 2, MOD: 3 } as const;

const EPOLL_CLOEXEC = 0o2000000;

// struct epoll_event is packed on x86_64 (12 bytes) and naturally aligned elsewhere (16).
const EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const DATA_OFFSET = process.arch === 'x64' ? 4 : 8;

/** One ready descriptor: its event bits and the `data` it was registered with. */
export interface EpollReady {
  events: number;
  data: number;
}

/** epoll_create1(EPOLL_CLOEXEC): a new epoll fd. */
export function epollCreate(): number {
  return sysEpollCreate1(EPOLL_CLOEXEC);
}

/** epoll_ctl: add, modify or remove `fd`, with `data` returned by waits (a 32-bit number). */
export function epollCtl(epfd: number, op: number, fd: number, events = 0, data = 0): void {
  ctlView.setUint32(0, checkU32(events, 'events'), HOST_LITTLE_ENDIAN);
  ctlView.setUint32(DATA_OFFSET, checkU32(data, 'data'), HOST_LITTLE_ENDIAN);
  sysEpollCtl(
    checkFd(epfd, 'epfd'),
    checkInt(op, 'op', 1, 3),
    checkFd(fd),
    op === EpollOp.DEL ? null : ctlEvent,
  );
}

// Reused by every call (calls are synchronous; each worker thread has its own module).
const ctlEventStorage = new ArrayBuffer(EVENT_SIZE);
const ctlEvent = new Uint8Array(ctlEventStorage);
const ctlView = new DataView(ctlEventStorage);

/**
 * epoll_pwait: blocks the calling thread up to `timeoutMs` (-1 forever, 0 poll)
 * for at most `maxEvents` ready descriptors. Blocking: call it from a worker
 * thread, or with timeout 0, never with a long timeout on the main thread.
 */
export function epollWait(epfd: number, maxEvents = 64, timeoutMs = 0): EpollReady[] {
  checkInt(maxEvents, 'maxEvents', 1, 1 << 20);
  const storage = new ArrayBuffer(EVENT_SIZE * maxEvents);
  const buf = new Uint8Array(storage);
  const n = sysEpollPwait(
    checkFd(epfd, 'epfd'),
    buf,
    maxEvents,
    checkInt(timeoutMs, 'timeoutMs', -1, 0x7fffffff),
  );
  const v = new DataView(storage);
  const out: EpollReady[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      events: v.getUint32(i * EVENT_SIZE, HOST_LITTLE_ENDIAN),
      data: v.getUint32(i * EVENT_SIZE + DATA_OFFSET, HOST_LITTLE_ENDIAN),
    });
  }
  return out;
}

/** An epoll instance that owns its fd: `add`, `modify`, `remove`, `wait`, `close`. */
export class Epoll implements Disposable {
  readonly #fd = new OwnedFd(epollCreate(), 'epoll instance');

  /** The epoll fd (for registering this epoll inside another poller). */
  get fd(): number {
    return this.#fd.fd;
  }

  /** Watches `fd` for `events` (default readable), tagging its wake-ups with `data`. */
  add(fd: number, data: number, events: number = EpollEvent.IN): void {
    epollCtl(this.fd, EpollOp.ADD, fd, events, data);
  }

  /** Changes the events or data of a watched fd. */
  modify(fd: number, data: number, events: number = EpollEvent.IN): void {
    epollCtl(this.fd, EpollOp.MOD, fd, events, data);
  }

  /** Stops watching `fd`. */
  remove(fd: number): void {
    epollCtl(this.fd, EpollOp.DEL, fd);
  }

  /** See {@link epollWait}. */
  wait(timeoutMs = 0, maxEvents = 64): EpollReady[] {
    return epollWait(this.fd, maxEvents, timeoutMs);
  }

  /** Closes the epoll fd; idempotent. */
  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
