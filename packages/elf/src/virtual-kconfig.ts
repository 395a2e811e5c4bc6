import { bpfCookieSupported, syscallWrapperPresent } from '@ts-ebpf/programs';
import { BpfSyscallError, type BpfToken } from '@ts-ebpf/syscall';
import { KconfigError } from './errors.js';

/** How one virtual extern is decided: on this kernel, under the load's token if it has one. */
type VirtualProbe = (token?: BpfToken) => boolean;

/**
 * The `.kconfig` externs libbpf computes itself instead of reading the kernel config: each
 * name and how its `y`/`n` value is decided on the running kernel. (`LINUX_KERNEL_VERSION`
 * is filled by {@link buildKconfig} from the kernel version.)
 */
export const VIRTUAL_KCONFIG: ReadonlyMap<string, VirtualProbe> = new Map<string, VirtualProbe>([
  // bpf_tracing.h's BPF_KSYSCALL: whether syscall entry points take a pt_regs wrapper (read
  // from the kernel's symbols: no token needed).
  ['LINUX_HAS_SYSCALL_WRAPPER', () => syscallWrapperPresent()],
  // usdt.bpf.h: whether BPF cookies carry the USDT spec id (else the ip-to-spec map does).
  ['LINUX_HAS_BPF_COOKIE', (token) => bpfCookieSupported({ token })],
]);

/**
 * `config` with the virtual externs among `names` added, each probed on this kernel (under
 * `token`, the load's, as libbpf runs its probes under an object's token); a value `config`
 * already holds is kept (a caller's explicit choice).
 * @throws KconfigError naming the extern when its probe's trial is refused (no privilege, or a
 *   token whose bpffs does not delegate what the trial loads), with the refusal as `cause`
 */
export function withVirtualKconfig(
  config: Map<string, string>,
  names: Iterable<string>,
  token: BpfToken | undefined,
): Map<string, string> {
  const out = new Map(config);
  for (const name of names) {
    const probe = VIRTUAL_KCONFIG.get(name);
    if (probe && !out.has(name)) out.set(name, decide(name, probe, token) ? 'y' : 'n');
  }
  return out;
}

function decide(name: string, probe: VirtualProbe, token: BpfToken | undefined): boolean {
  try {
    return probe(token);
  } catch (e) {
    if (!(e instanceof BpfSyscallError)) throw e;
    const under = token
      ? ` under the BPF token from ${token.bpffs} (its bpffs must delegate prog_load and tracepoint programs)`
      : '';
    throw new KconfigError(
      name,
      `libbpf decides it by loading a trial tracepoint program, and the kernel refused that load${under}: ${e.message}; ` +
        `or give its value ('y' or 'n') in options.kconfig`,
      { cause: e },
    );
  }
}
