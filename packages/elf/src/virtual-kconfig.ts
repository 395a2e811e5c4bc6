import { bpfCookieSupported, syscallWrapperPresent } from '@ts-ebpf/programs';

/**
 * The `.kconfig` externs libbpf computes itself instead of reading the kernel config: each
 * name and how its `y`/`n` value is decided on the running kernel. (`LINUX_KERNEL_VERSION`
 * is filled by {@link buildKconfig} from the kernel version.)
 */
export const VIRTUAL_KCONFIG: ReadonlyMap<string, () => boolean> = new Map([
  // bpf_tracing.h's BPF_KSYSCALL: whether syscall entry points take a pt_regs wrapper.
  ['LINUX_HAS_SYSCALL_WRAPPER', syscallWrapperPresent],
  // usdt.bpf.h: whether BPF cookies carry the USDT spec id (else the ip-to-spec map does).
  ['LINUX_HAS_BPF_COOKIE', bpfCookieSupported],
]);

/**
 * `config` with the virtual externs among `names` added, each probed on this kernel; a
 * value `config` already holds is kept (a caller's explicit choice).
 */
export function withVirtualKconfig(
  config: Map<string, string>,
  names: Iterable<string>,
): Map<string, string> {
  const out = new Map(config);
  for (const name of names) {
    const probe = VIRTUAL_KCONFIG.get(name);
    if (probe && !out.has(name)) out.set(name, probe() ? 'y' : 'n');
  }
  return out;
}
