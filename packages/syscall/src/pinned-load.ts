import { inputIsCopied } from './attr.js';
import { allocNative } from './ffi/memory.js';
import type { ProgLoadAttr } from './prog-load.js';
import { isDetached } from './validate.js';

/**
 * A program load whose buffers the kernel reads or writes from native memory, for the loads that
 * run while this thread goes on (`progLoadAsync`, `progLoadParallelAsync`): meanwhile the caller
 * may change, drop or transfer (detach) its buffers, and the kernel would then read changed or
 * freed memory, or write freed memory (a log written into a freed buffer corrupted the heap).
 *
 * Inputs of up to 64 KiB need no copy here: the load's attr copies them into its own native
 * memory when it is filled (`Attr.input`), and each async load owns its attr until the kernel has
 * answered. So only the larger inputs, which the attr passes by address, and the log buffer, which
 * the kernel writes, are copied; they live until {@link PinnedLoad.release}.
 */
export interface PinnedLoad {
  /** The load: its log buffer and every input the attr would pass by address in native memory. */
  readonly load: ProgLoadAttr;
  /** The native log buffer (the caller's size), or undefined without a log. */
  readonly logBuf: Uint8Array | undefined;
  /** Copies the log into the caller's log buffer, when it gave one and still has it. */
  returnLog(): void;
  /** Frees the copies: only once the kernel has answered, and nothing read from them after. */
  release(): void;
}

/**
 * `o` (checked before: see `checkProgLoad`) with native copies of the inputs its attr would not
 * copy, and a native log buffer of `log`'s size in place of `log`.
 */
export function pinLoad(o: ProgLoadAttr, log: Uint8Array | undefined): PinnedLoad {
  const frees: (() => void)[] = [];
  const native = (size: number): ArrayBuffer => {
    const block = allocNative(Math.max(1, size));
    frees.push(block.free);
    return block.buffer;
  };
  const pinned = <T extends Uint8Array | Int32Array | undefined>(bytes: T): T => {
    if (!bytes || inputIsCopied(bytes.byteLength)) return bytes;
    const out = new Uint8Array(native(bytes.byteLength), 0, bytes.byteLength);
    out.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return (bytes instanceof Int32Array ? new Int32Array(out.buffer, 0, bytes.length) : out) as T;
  };
  const logBuf = log ? new Uint8Array(native(log.byteLength), 0, log.byteLength) : undefined;
  const load: ProgLoadAttr = {
    ...o,
    insns: pinned(o.insns),
    funcInfo: pinned(o.funcInfo),
    lineInfo: pinned(o.lineInfo),
    fdArray: pinned(o.fdArray),
    logBuf,
  };
  return {
    load,
    logBuf,
    returnLog() {
      const given = o.logBuf;
      if (given && logBuf && !isDetached(given) && given.byteLength >= logBuf.byteLength) given.set(logBuf);
    },
    release() {
      for (const free of frees.splice(0)) free();
    },
  };
}
