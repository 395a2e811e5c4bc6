import { Btf } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { addressOf, btfGetFdById, btfInfo, close, objGetInfoByFd } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
import { CliError } from './errors.js';
import { byId } from './targets.js';

// struct bpf_btf_info: btf (u64 user pointer) @0, btf_size @8.
const BTF_PTR = 0;
const BTF_SIZE = 8;
const INFO_PREFIX = 12;

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
    const prefix = new Uint8Array(INFO_PREFIX);
    const view = new DataView(prefix.buffer);
    const le = isLittleEndian(HOST_BYTE_ORDER);
    view.setBigUint64(BTF_PTR, addressOf(bytes), le);
    view.setUint32(BTF_SIZE, bytes.byteLength, le);
    objGetInfoByFd(fd, prefix);
    if (view.getUint32(BTF_SIZE, le) !== bytes.byteLength) {
      throw new CliError(
        `BTF object id ${id} is ${view.getUint32(BTF_SIZE, le)} bytes now, was ${bytes.byteLength}`,
      );
    }
    const split = info.kernelBtf && info.name !== 'vmlinux';
    return Btf.parse(bytes, { byteOrder: HOST_BYTE_ORDER, ...(split && { base: kernelBtf() }) });
  } finally {
    close(fd);
  }
}
