import { mkdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnpinError } from './errors.js';
import { sysMount } from './ffi/process.js';
import { objGet, objPin } from './object-commands.js';
import { checkPinPath } from './pin-path.js';
import { checkCString } from './validate.js';

/** Where bpffs is mounted by convention. */
export const BPFFS_PATH = '/sys/fs/bpf';
/** Where tracefs is mounted by convention. */
export const TRACEFS_PATH = '/sys/kernel/tracing';

/** The filesystem type mounted exactly at `path`, from /proc/self/mounts, or undefined. */
export function mountedFsType(path: string): string | undefined {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  let type: string | undefined;
  for (const line of mounts.split('\n')) {
    const [, target, fstype] = line.split(' ');
    if (target === path) type = fstype; // the last mount at a path is the visible one
  }
  return type;
}

function ensureMounted(path: string, fstype: string): string {
  checkCString(path, 'path');
  if (mountedFsType(path) === fstype) return path;
  mkdirSync(path, { recursive: true });
  sysMount(fstype, path, fstype, 0);
  return path;
}

/** Mounts bpffs at `path` (default /sys/fs/bpf) unless it is mounted already. Returns the path. */
export function ensureBpffs(path: string = BPFFS_PATH): string {
  return ensureMounted(path, 'bpf');
}

/** Mounts tracefs at `path` (default /sys/kernel/tracing) unless it is mounted already. Returns the path. */
export function ensureTracefs(path: string = TRACEFS_PATH): string {
  return ensureMounted(path, 'tracefs');
}

/**
 * Pins `fd` at `path` on bpffs, creating missing parent directories (on bpffs only).
 * @throws PinPathError when the path is not on bpffs (checked before any directory is made)
 */
export function pinObject(fd: number, path: string): void {
  checkPinPath('BPF_OBJ_PIN', checkCString(path, 'path'), true);
  mkdirSync(dirname(path), { recursive: true });
  objPin(fd, path);
}

/** Opens the object pinned at `path`, returning a new fd. */
export function getPinned(path: string, fileFlags = 0): number {
  return objGet(path, fileFlags);
}

/**
 * Removes a pin (the object lives on while other references exist). Missing pins are ignored.
 * @throws UnpinError when the unlink fails otherwise (a path component that is not a
 *   directory, a directory at `path`, missing permission), naming the path; the filesystem's
 *   error is the `cause`
 */
export function unpin(path: string): void {
  removeOrGone('unlink', checkCString(path, 'path'), path);
}

/**
 * Removes `path` (`unlink` for a pin, `rmdir` for a directory made for the pin `pin`); a path
 * gone already is passed over. @returns false when the directory was kept because it holds
 * something else (ENOTEMPTY, or EEXIST, which rmdir(2) may answer instead).
 * @throws UnpinError for any other failure
 * @internal
 */
export function removeOrGone(operation: 'unlink' | 'rmdir', path: string, pin: string): boolean {
  try {
    if (operation === 'unlink') unlinkSync(path);
    else rmdirSync(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (operation === 'rmdir' && (code === 'ENOTEMPTY' || code === 'EEXIST')) return false;
    throw new UnpinError(operation, path, pin, e);
  }
}
