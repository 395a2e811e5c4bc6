import type { Btf } from '@ts-ebpf/btf';
import { readBtfObject } from '@ts-ebpf/btf/kernel';
import { btfGetFdById, close } from '@ts-ebpf/syscall';
import { byId } from './targets.js';

/**
 * The BTF object with kernel id `id`, copied out and parsed. Kernel module BTF is split BTF:
 * it is parsed on top of vmlinux.
 * @throws ObjectNotFoundError when no BTF object has this id
 */
export function btfById(id: number): Btf {
  const fd = byId('BTF object', id, btfGetFdById);
  try {
    return readBtfObject(fd);
  } finally {
    close(fd);
  }
}
