import { Btf } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { btfGetFdById, btfInfo, close, infoBuffer } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { CliError } from './errors.js';
import { byId } from './targets.js';

/**
 * The BTF object with kernel id `id`, copied out and parsed. Kernel module BTF is split BTF:
 * it is parsed on top of vmlinux.
 * @throws ObjectNotFoundError when no BTF object has this id
 */
export function btfById(id: number): Btf {
  const fd = byId('BTF object', id, btfGetFdById);
  try {
    const info = btfInfo(fd);
    const bytes = new Uint8Array(info.btfSize);
    const copied = infoBuffer(fd, 'btfData', bytes);
    if (copied.byteLength !== bytes.byteLength) {
      throw new CliError(`BTF object id ${id} is ${copied.byteLength} bytes now, was ${bytes.byteLength}`);
    }
    const split = info.kernelBtf && info.name !== 'vmlinux';
    return Btf.parse(bytes, { byteOrder: HOST_BYTE_ORDER, ...(split && { base: kernelBtf() }) });
  } finally {
    close(fd);
  }
}
