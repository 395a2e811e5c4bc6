import { statfsSync } from 'node:fs';
import { BpfSyscallError, close, Errno, fileOpen, O, setns } from '@ts-ebpf/syscall';
import { NetnsError } from './errors.js';

const CLONE_NEWNET = 0x40000000;

/** A network namespace: a path (`/var/run/netns/<name>`, `/proc/<pid>/ns/net`) or an open fd. */
export type NetnsTarget = string | number;

/** The bind-mount path `ip netns add <name>` creates. */
export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

const NSFS_MAGIC = 0x6e736673;

/**
 * @internal What the kernel answers (EINVAL) for a namespace file of another kind given as a
 * network namespace (`/proc/<pid>/ns/mnt`): the wording of every refusal of one.
 */
export const NOT_A_NETNS = 'the file is not a network namespace (another kind of namespace?)';

/**
 * @internal Why `path` cannot name a network namespace, found before the kernel is asked (a
 * netns is a file on nsfs: `/proc/<pid>/ns/net`, or a bind mount of one such as
 * `/var/run/netns/<name>`): the path is missing, or not on nsfs. `undefined` when it is a
 * namespace file (of some kind: the kernel tells a network namespace from the others).
 */
export function nsFileProblem(path: string): { reason: string; options?: ErrorOptions } | undefined {
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch (e) {
    return {
      reason:
        'does not exist: create it (`ip netns add <name>` makes /var/run/netns/<name>), or give /proc/<pid>/ns/net of a process in it',
      options: { cause: e },
    };
  }
  if (type === NSFS_MAGIC) return undefined;
  return {
    reason: `the path is not a namespace file (file system magic 0x${type.toString(16)}, not nsfs); give /proc/<pid>/ns/net or a bind mount of one such as /var/run/netns/<name>`,
  };
}

/**
 * Runs `fn` with the calling thread in another network namespace, then switches back
 * (even when `fn` throws). Interface names, netfilter hooks and sockets made inside
 * `fn` belong to that namespace; bpf objects are not namespaced.
 * @throws NetnsError for a path that does not exist or is no namespace file, or a file or fd that
 * is not a network namespace
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

/** Opens the namespace file at `path`; a missing one, or one off nsfs, is a NetnsError. */
function openNetns(path: string): number {
  const problem = nsFileProblem(path);
  if (problem) throw new NetnsError(path, problem.reason, problem.options);
  return fileOpen(path, O.O_RDONLY);
}

/** setns into `fd` (the namespace `netns` names); a file that is not a network namespace is a NetnsError. */
function enter(netns: NetnsTarget, fd: number): void {
  try {
    setns(fd, CLONE_NEWNET);
  } catch (e) {
    if (e instanceof BpfSyscallError && e.errno === Errno.EINVAL)
      throw new NetnsError(netns, NOT_A_NETNS, { cause: e });
    throw e;
  }
}
