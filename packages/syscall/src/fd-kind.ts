import { readlinkSync } from 'node:fs';

// The /proc/self/fd link targets of the kernel's BPF objects, in words.
const BPF_KINDS: Readonly<Record<string, string>> = {
  'anon_inode:bpf-prog': 'program',
  'anon_inode:bpf-map': 'map',
  'anon_inode:bpf_link': 'link',
  'anon_inode:btf': 'BTF object',
  'anon_inode:bpf_iter': 'iterator reader',
  'anon_inode:[perf_event]': 'perf event',
};

/**
 * What an fd of this process refers to, from its `/proc/self/fd` link: `anon_inode:bpf-map`,
 * `anon_inode:bpf-prog`, `socket:[…]`, a path …; undefined when the link cannot be read (the fd
 * is not open).
 */
export function fdTarget(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/**
 * An {@link fdTarget} in words: `'program'`, `'map'`, `'link'`, `'BTF object'`, `'iterator reader'`,
 * `'perf event'`, another anonymous inode's name, or `file (<target>)`.
 */
export function describeFdTarget(target: string): string {
  return BPF_KINDS[target] ?? (target.startsWith('anon_inode:') ? target.slice(11) : `file (${target})`);
}
