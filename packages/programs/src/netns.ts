import { close, fileOpen, O, setns } from '@ts-ebpf/syscall';

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
 */
export function inNetns<T>(netns: NetnsTarget, fn: () => T): T {
  // The target first: a path that cannot be opened leaves nothing open.
  const target = typeof netns === 'number' ? netns : fileOpen(netns, O.O_RDONLY);
  let original: number;
  try {
    original = fileOpen('/proc/thread-self/ns/net', O.O_RDONLY);
  } catch (e) {
    if (typeof netns !== 'number') close(target);
    throw e;
  }
  try {
    setns(target, CLONE_NEWNET);
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
