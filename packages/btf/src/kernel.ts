/**
 * `@ts-ebpf/btf/kernel`: BTF and this machine's kernel (Node only). Reads the running kernel's
 * BTF from /sys/kernel/btf and loads BTF into the kernel with BPF_BTF_LOAD (through
 * `@ts-ebpf/syscall`, which loads koffi on its first system call). The root entry,
 * `@ts-ebpf/btf`, stays pure: parsing, building, dumping and BTF.ext need no kernel.
 * @packageDocumentation
 */
export { readBtfObject } from './btf-object-data.js';
export { btfObjectIds, loadedBtfObjects } from './btf-objects.js';
export { KERNEL_BTF_DIR, kernelBtf, loadKernelBtf } from './kernel-btf.js';
export { type BtfLoadOptions, LoadedBtf, loadBtf, loadBtf as load } from './load.js';
