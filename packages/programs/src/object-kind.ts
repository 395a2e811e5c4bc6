import { BpfArgumentError, describeFdTarget, fdTarget } from '@ts-ebpf/syscall';

/**
 * What an open file descriptor of this process refers to (syscall's {@link describeFdTarget}):
 * `'program'`, `'map'`, `'link'`, `'BTF object'` …, or a description of another file.
 * @throws BpfArgumentError when the fd is not open
 */
export function fdKind(fd: number): string {
  if (!Number.isInteger(fd) || fd < 0) throw new BpfArgumentError('fd', `${fd} is not a file descriptor`);
  const target = fdTarget(fd);
  if (target === undefined) throw new BpfArgumentError('fd', `fd ${fd} is not open`);
  return describeFdTarget(target);
}
