import { readlinkSync } from 'node:fs';
import { BpfArgumentError } from '@ts-ebpf/syscall';

const ANON_KINDS: Readonly<Record<string, string>> = {
  'anon_inode:bpf-prog': 'program',
  'anon_inode:bpf-map': 'map',
  'anon_inode:bpf_link': 'link',
  'anon_inode:btf': 'BTF object',
  'anon_inode:bpf_iter': 'iterator reader',
  'anon_inode:[perf_event]': 'perf event',
};

/**
 * What an open file descriptor of this process refers to, from `/proc/self/fd`:
 * `'program'`, `'map'`, `'link'`, `'BTF object'` …, or a description of another file.
 * @throws BpfArgumentError when the fd is not open
 */
export function fdKind(fd: number): string {
  if (!Number.isInteger(fd) || fd < 0) throw new BpfArgumentError('fd', `${fd} is not a file descriptor`);
  let target: string;
  try {
    target = readlinkSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    throw new BpfArgumentError('fd', `fd ${fd} is not open (${(e as Error).message})`);
  }
  return ANON_KINDS[target] ?? (target.startsWith('anon_inode:') ? target.slice(11) : `file (${target})`);
}
