import { fileOpen, O } from '@ts-ebpf/syscall';

/** A directory-like attach target: a path we open, or an fd the caller keeps owning. */
export type FdTarget = string | number;

/** Opens `target` when it is a path (the caller must close the returned `owned` fd). */
export function openTarget(target: FdTarget, directory: boolean): { fd: number; owned: boolean } {
  if (typeof target === 'number') return { fd: target, owned: false };
  const flags = O.O_RDONLY | (directory ? O.O_DIRECTORY : 0);
  return { fd: fileOpen(target, flags), owned: true };
}
