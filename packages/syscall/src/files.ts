import { sysClose, sysOpenat, sysRead, sysWrite } from './ffi/files.js';
import { checkBuffer, checkCString, checkFd, checkInt } from './validate.js';

/** `openat`'s "relative to the current directory" dirfd. */
export const AT_FDCWD = -100;

const common = {
  O_RDONLY: 0o0,
  O_WRONLY: 0o1,
  O_RDWR: 0o2,
  O_ACCMODE: 0o3,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY: 0o400,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000,
  O_DSYNC: 0o10000,
  O_ASYNC: 0o20000,
  O_DIRECT: 0o40000,
  O_LARGEFILE: 0o100000,
  O_DIRECTORY: 0o200000,
  O_NOFOLLOW: 0o400000,
  O_NOATIME: 0o1000000,
  O_CLOEXEC: 0o2000000,
  O_SYNC: 0o4010000,
  O_PATH: 0o10000000,
  O_TMPFILE: 0o20200000,
} as const;

/** The open(2) flags, with their values for this architecture (arm64 and ppc64 differ). */
export type OpenFlags = { readonly [K in keyof typeof common]: number };

const perArch: Record<string, Partial<OpenFlags>> = {
  arm64: { O_DIRECTORY: 0o40000, O_NOFOLLOW: 0o100000, O_DIRECT: 0o200000, O_LARGEFILE: 0o400000 },
  ppc64: { O_DIRECTORY: 0o40000, O_NOFOLLOW: 0o100000, O_LARGEFILE: 0o200000, O_DIRECT: 0o400000 },
};

/** Every O_* flag for `fileOpen`, as this architecture defines it. */
export const O: OpenFlags = Object.freeze({ ...common, ...perArch[process.arch] });

/**
 * openat(2): opens `path` (relative to `dirfd`, default the working directory)
 * with O_* `flags` (O_CLOEXEC is added) and `mode` for created files. Returns the fd.
 */
export function fileOpen(path: string, flags: number = O.O_RDONLY, mode = 0o644, dirfd = AT_FDCWD): number {
  checkCString(path, 'path');
  checkInt(flags, 'flags', 0, 0x7fffffff);
  checkInt(mode, 'mode', 0, 0o7777);
  if (dirfd !== AT_FDCWD) checkFd(dirfd, 'dirfd');
  return sysOpenat(dirfd, path, flags | O.O_CLOEXEC, mode);
}

/** read(2): up to `length` bytes from `fd`; a shorter (or empty, at end of file) array when fewer came. */
export function fileRead(fd: number, length: number): Uint8Array {
  checkFd(fd);
  checkInt(length, 'length', 0, 0x7ffff000);
  const buf = new Uint8Array(length);
  const n = sysRead(fd, buf, length);
  return n === length ? buf : buf.slice(0, n);
}

/** read(2) into an existing buffer: the number of bytes read. */
export function fileReadInto(fd: number, buf: Uint8Array): number {
  checkFd(fd);
  checkBuffer(buf, 'read', 'buf', 0);
  return sysRead(fd, buf, buf.byteLength);
}

/** write(2): writes `data` (once; may be partial), returning the bytes written. */
export function fileWrite(fd: number, data: Uint8Array | string): number {
  checkFd(fd);
  const bytes =
    typeof data === 'string' ? new TextEncoder().encode(data) : checkBuffer(data, 'write', 'data', 0);
  return sysWrite(fd, bytes, bytes.byteLength);
}

/** Reads a whole file (special files such as /proc and /sys ones too). */
export function fileReadAll(path: string, chunk = 65536): Uint8Array {
  const fd = fileOpen(path, O.O_RDONLY);
  try {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const part = fileRead(fd, chunk);
      if (part.byteLength === 0) break;
      parts.push(part);
      total += part.byteLength;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  } finally {
    sysClose(fd);
  }
}

/** Writes `data` to `path`, creating or truncating it, looping over partial writes. */
export function fileWriteAll(path: string, data: Uint8Array | string, mode = 0o644): void {
  const bytes =
    typeof data === 'string' ? new TextEncoder().encode(data) : checkBuffer(data, 'write', 'data', 0);
  const fd = fileOpen(path, O.O_WRONLY | O.O_CREAT | O.O_TRUNC, mode);
  try {
    let at = 0;
    while (at < bytes.byteLength) at += fileWrite(fd, bytes.subarray(at));
  } finally {
    sysClose(fd);
  }
}
