import { allocNative } from './ffi.js';
import type { ProgLoadAttr } from './prog-load.js';
import { isDetached } from './validate.js';

/**
 * A program load whose buffers are native copies, for the loads that run while this thread goes
 * on (`progLoadAsync`, `progLoadParallelAsync`): meanwhile the caller may drop its buffers or
 * transfer (detach) them, and the kernel would then read and write freed memory (a log written
 * into a freed buffer corrupted the heap). The copies live until {@link PinnedLoad.release}.
 */
export interface PinnedLoad {
  /** The load, every buffer of it in native memory. */
  readonly load: ProgLoadAttr;
  /** The native log buffer (the caller's size), or undefined without a log. */
  readonly logBuf: Uint8Array | undefined;
  /** Copies the log into the caller's log buffer, when it gave one and still has it. */
  returnLog(): void;
  /** Frees the copies: only once the kernel has answered, and nothing read from them after. */
  release(): void;
}

/**
 * Native copies of `o`'s buffers (checked before: see `checkProgLoad`), with a native log
 * buffer of `log`'s size in place of `log`.
 */
export function pinLoad(o: ProgLoadAttr, log: Uint8Array | undefined): PinnedLoad {
  const frees: (() => void)[] = [];
  const native = (size: number): ArrayBuffer => {
    const block = allocNative(Math.max(1, size));
    frees.push(block.free);
    return block.buffer;
  };
  const copy = (bytes: ArrayBufferView): Uint8Array => {
    const out = new Uint8Array(native(bytes.byteLength), 0, bytes.byteLength);
    out.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return out;
  };
  const logBuf = log ? new Uint8Array(native(log.byteLength), 0, log.byteLength) : undefined;
  const fdArray = o.fdArray ? copy(o.fdArray) : undefined;
  const load: ProgLoadAttr = {
    ...o,
    insns: copy(o.insns),
    funcInfo: o.funcInfo ? copy(o.funcInfo) : undefined,
    lineInfo: o.lineInfo ? copy(o.lineInfo) : undefined,
    fdArray: fdArray ? new Int32Array(fdArray.buffer, 0, fdArray.byteLength >> 2) : undefined,
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
