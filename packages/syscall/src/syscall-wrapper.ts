/**
 * The prefix of the kernel's per-architecture system call entry points on kernels built with
 * syscall wrappers (`CONFIG_ARCH_HAS_SYSCALL_WRAPPER`: `__x64_sys_bpf` on x86-64), by
 * `process.arch`: the architectures libbpf names one for (its `arch_specific_syscall_pfx`).
 */
const SYSCALL_WRAPPER_PREFIX: Readonly<Partial<Record<string, string>>> = {
  x64: '__x64_sys_',
  ia32: '__ia32_sys_',
  s390x: '__s390x_sys_',
  s390: '__s390_sys_',
  arm: '__arm_sys_',
  arm64: '__arm64_sys_',
  mips: '__mips_sys_',
  mipsel: '__mips_sys_',
  riscv64: '__riscv_sys_',
  ppc64: '__powerpc_sys_',
  ppc: '__powerpc_sys_',
};

/**
 * The prefix of system call entry points that a kernel with syscall wrappers has on `arch`
 * (`'__x64_sys_'` for `x64`), or undefined for an architecture without a known prefix. Whether
 * the running kernel has the wrappers is a question for its symbol table (`__x64_sys_bpf` is
 * listed in /proc/kallsyms, see {@link kernelSymbolExists}).
 * @param arch - a `process.arch` value; the running one by default
 */
export function syscallWrapperPrefix(arch: string = process.arch): string | undefined {
  return SYSCALL_WRAPPER_PREFIX[arch];
}
