import { readFileSync } from 'node:fs';

/** A mount point as /proc/self/mounts writes it: space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Where cgroup v2 file systems are mounted in this mount namespace, from /proc/self/mounts. */
export function cgroup2Mounts(): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const [, target, fstype] = line.split(' ');
    if (fstype === 'cgroup2' && target !== undefined) out.push(unescapeMountPath(target));
  }
  return out;
}

/** Where a cgroup attach should look instead, for the message of a path that is not on cgroup2. */
export function cgroup2MountHint(): string {
  const mounts = cgroup2Mounts();
  return mounts.length > 0
    ? `use a directory under the cgroup2 mount (cgroup2 is mounted at ${mounts.join(', ')})`
    : 'no cgroup2 file system is mounted here: mount one (mount -t cgroup2 none DIR) and use a directory under it';
}
