// Node-only module (kernel access); the rest of src/ is pure TypeScript.
/// <reference types="node" />
import { btfInfo, infoBuffer } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { Btf } from './btf.js';
import { BtfError } from './errors.js';
import { kernelBtf } from './kernel-btf.js';

/**
 * The BTF the kernel holds in the BTF object `fd`, copied out (`bpf_btf_info.btf`) and parsed: a
 * program's or map's BTF as the kernel accepted it, vmlinux's, or a kernel module's (split BTF,
 * parsed on top of vmlinux's).
 * @throws BtfError when the object's size changed between reading its size and its data
 * @throws BpfSyscallError when the kernel refuses to copy it out
 */
export function readBtfObject(fd: number): Btf {
  const info = btfInfo(fd);
  const bytes = new Uint8Array(info.btfSize);
  const copied = infoBuffer(fd, 'btfData', bytes);
  if (copied.byteLength !== bytes.byteLength)
    throw new BtfError(`BTF object id ${info.id} is ${copied.byteLength} bytes now, was ${bytes.byteLength}`);
  const split = info.kernelBtf && info.name !== 'vmlinux';
  return Btf.parse(bytes, { byteOrder: HOST_BYTE_ORDER, ...(split && { base: kernelBtf() }) });
}
