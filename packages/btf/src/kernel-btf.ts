// Node-only module (kernel access); the rest of src/ is pure TypeScript.
/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { Btf } from './btf.js';

/** Where the kernel exposes its BTF. */
export const KERNEL_BTF_DIR = '/sys/kernel/btf';

/**
 * Reads and parses this machine's kernel BTF (`/sys/kernel/btf/vmlinux`), or with
 * `module`, that module's split BTF on top of vmlinux. Node only.
 * @throws BtfError for corrupt BTF; the fs error when the file is missing
 */
export function loadKernelBtf(module?: string): Btf {
  const vmlinux = Btf.parse(new Uint8Array(readFileSync(`${KERNEL_BTF_DIR}/vmlinux`)));
  if (module === undefined || module === 'vmlinux') return vmlinux;
  return Btf.parse(new Uint8Array(readFileSync(`${KERNEL_BTF_DIR}/${module}`)), { base: vmlinux });
}

let cached: Btf | undefined;

/**
 * This machine's vmlinux BTF, parsed on the first call and shared by every later one (and by
 * every package that resolves kernel types: maps, programs, elf), where {@link loadKernelBtf}
 * parses anew each time. Node only.
 * @throws BtfError for corrupt BTF; the fs error when the file is missing
 */
export function kernelBtf(): Btf {
  cached ??= loadKernelBtf();
  return cached;
}
