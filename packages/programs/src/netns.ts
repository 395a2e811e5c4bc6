import { BpfSyscallError, close, Errno, fileOpen, O, setns } from '@ts-ebpf/syscall';
import { NetnsError } from './errors.js';

const CLONE_NEWNET = 0x40000000;

/** A network namespace: a path (`/var/run/netns/<name>`, `/proc/<pid>/ns/net`) or an open fd. */
export type NetnsTarget = string | number;

/** The bind-mount path `ip netns add <name>` creates. */
export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/**
 * Runs `fn` with the calling thread in another network namespace, then switches back
 * (even when `fn` throws). Interface names, netfilter hooks and sockets made inside
 * `fn` belong to that namespace; bpf objects are not namespaced.
 * @throws NetnsError for a path that does not exist, or a file or fd that is not a network namespace
 */
export function inNetns<T>(netns: NetnsTarget, fn: () => T): T {
  // The target first: a path that cannot be opened leaves nothing open.
  const target = typeof netns === 'number' ? netns : openNetns(netns);
  let original: number;
  try {
    original = fileOpen('/proc/thread-self/ns/net', O.O_RDONLY);
  } catch (e) {
    if (typeof netns !== 'number') close(target);
    throw e;
  }
  try {
    enter(netns, target);
    try {
      return fn();
    } finally {
      setns(original, CLONE_NEWNET);
    }
  } finally {
    if (typeof netns !== 'number') close(target);
    close(original);
  }
}

/** Opens the namespace file at `path`; a missing one is a NetnsError saying how to make it. */
function openNetns(path: string): number {
  try {
    return fileOpen(path, O.O_RDONLY);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.errno === Errno.ENOENT)
      throw new NetnsError(
        path,
        'does not exist: create it (`ip netns add <name>` makes /var/run/netns/<name>), or give /proc/<pid>/ns/net of a process in it',
        { cause: e },
      );
    throw e;
  }
}

/** setns into `fd` (the namespace `netns` names); a file that is not a network namespace is a NetnsError. */
function enter(netns: NetnsTarget, fd: number): void {
  try {
    setns(fd, CLONE_NEWNET);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.errno === Errno.EINVAL)
      throw new NetnsError(netns, 'is not a network namespace (setns answered EINVAL)', { cause: e });
    throw e;
  }
}
