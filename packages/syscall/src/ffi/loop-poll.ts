import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FfiUnavailableError } from '../errors.js';
import { n } from './native.js';

/**
 * A descriptor watched for readability by this thread's Node event loop: koffi's handle of a
 * libuv poll (`uv_poll_t`) of the loop itself, so no thread of ours waits. `onPoll` runs on this
 * thread during the loop's poll phase with libuv's status (0, or a negative errno: `EBADF` for an
 * error condition on the fd) and the handle stays started (level-triggered: again on every turn
 * while the fd is readable) until stopped. `start` takes effect at the loop's next poll phase.
 * libuv aborts the process when a descriptor it watches was closed under it: watch only a
 * descriptor you own and close it after the handle. libuv makes the descriptor non-blocking.
 */
export interface LoopPoll {
  /** Watches (again) for readability, calling `onPoll`. */
  start(onPoll: (status: number) => void): void;
  /** Stops watching until the next `start`. */
  stop(): void;
  /** Stops watching for good; the handle's memory is released by the loop afterwards. */
  close(): void;
  /** Whether a started handle keeps the process alive (it does when made). */
  ref(): void;
  unref(): void;
}

const READABLE = { readable: true } as const;
const RTLD_NOW = 2;
const RTLD_NODELETE = 0x1000;

/** koffi's poll handle: its callback gets libuv's status first (its declaration says otherwise). */
interface KoffiPollHandle {
  start(opts: typeof READABLE, cb: (status: number) => void): void;
  stop(): void;
  close(): void;
  ref(): void;
  unref(): void;
}
type KoffiPoll = (fd: number, opts: typeof READABLE, cb: (status: number) => void) => KoffiPollHandle;

/** koffi's `node.poll`, checked and made safe on this thread by the first call (see loopPollReady). */
let koffiPoll: KoffiPoll | undefined;

/**
 * koffi's `node.poll` (koffi 3.3), once its native module is pinned in memory: a poll handle left
 * open by a worker thread is closed by that thread's teardown after Node has unloaded the addon
 * (when no other thread loaded it), and the close callback into the unloaded code crashed the
 * process. `dlopen(RTLD_NODELETE)` of the module koffi loaded keeps it mapped for good.
 */
function loopPollReady(): KoffiPoll {
  if (koffiPoll) return koffiPoll;
  const koffi = n().koffi as unknown as { node?: { poll?: unknown; PollHandle?: { prototype?: object } } };
  const poll = koffi.node?.poll;
  const proto = koffi.node?.PollHandle?.prototype as Partial<KoffiPollHandle> | undefined;
  if (
    typeof poll !== 'function' ||
    typeof proto?.start !== 'function' ||
    typeof proto.stop !== 'function' ||
    typeof proto.close !== 'function' ||
    typeof proto.ref !== 'function' ||
    typeof proto.unref !== 'function'
  ) {
    throw new FfiUnavailableError("koffi's event-loop poll (`koffi.node.poll` of koffi 3.3)");
  }
  // Every copy loaded (an application may hold two versions of koffi): which one this is, no
  // list says. Node's module cache names them without a read of /proc/self/maps (a large string,
  // whose garbage a first wait would leave); the maps, when the cache does not.
  const cached = Object.keys(createRequire(import.meta.url).cache).filter((path) =>
    path.endsWith('/koffi.node'),
  );
  const modules = new Set(
    cached.length > 0
      ? cached
      : readFileSync('/proc/self/maps', 'utf8')
          .split('\n')
          .map((line) => line.slice(line.indexOf('/')))
          .filter((path) => path.endsWith('/koffi.node')),
  );
  if (modules.size === 0) {
    throw new FfiUnavailableError(
      "koffi's native module pinned in memory, which its event-loop poll needs (not found in /proc/self/maps)",
    );
  }
  for (const module of modules) {
    if (n().dlopen(module, RTLD_NOW | RTLD_NODELETE) === null) {
      throw new FfiUnavailableError(
        `koffi's native module ${module} pinned in memory, which its event-loop poll needs`,
      );
    }
  }
  koffiPoll = poll as KoffiPoll;
  return koffiPoll;
}

/**
 * `uv_poll_init` + `uv_poll_start(UV_READABLE)` of `fd` on this thread's event loop, through
 * koffi's `node.poll`. @throws FfiUnavailableError when koffi has no such call. The caller checks
 * first that epoll can watch `fd`: koffi ends the process when libuv refuses it.
 */
export function sysLoopPoll(fd: number, onPoll: (status: number) => void): LoopPoll {
  const handle = loopPollReady()(fd, READABLE, onPoll);
  return {
    start: (cb) => handle.start(READABLE, cb),
    stop: () => handle.stop(),
    close: () => handle.close(),
    ref: () => handle.ref(),
    unref: () => handle.unref(),
  };
}
