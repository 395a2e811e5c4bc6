import { readFileSync } from 'node:fs';

let initial: boolean | undefined;

/**
 * True when this process is in the initial user namespace, where its capabilities count for
 * bpf(); false in a user namespace (a rootless container), where creating maps and loading
 * programs and BTF takes a BPF token (`BpfToken`). Read once, from /proc/self/uid_map (the
 * identity mapping of every uid only in the initial namespace); true when it cannot be read.
 */
export function inInitialUserNamespace(): boolean {
  if (initial === undefined) {
    try {
      const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
      initial = map.length === 3 && map[0] === '0' && map[1] === '0' && map[2] === '4294967295';
    } catch {
      initial = true;
    }
  }
  return initial;
}
