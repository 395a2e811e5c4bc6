import { readdirSync, readlinkSync } from 'node:fs';

/** The open file descriptors of this process with what they point at. */
export function openFds(): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // the fd used by readdir itself is gone by now
    }
  }
  return fds;
}

/** Descriptors open now that were not open in `before`, described for an error message. */
export function leakedFds(before: Map<number, string>): string[] {
  const leaked: string[] = [];
  for (const [fd, target] of openFds()) {
    if (
      before.get(fd) !== target &&
      /^anon_inode:|^\/sys\/fs\/bpf|^socket:|perf_event|bpf|^(net|mnt|pid|user|uts|ipc|cgroup|time):\[/.test(
        target,
      )
    ) {
      leaked.push(`${fd} -> ${target}`);
    }
  }
  return leaked;
}
