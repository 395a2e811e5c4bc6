// Node-only module (kernel access through @ts-ebpf/programs); the root entry is pure.
import { exit, mov, type PluginProgram, R0 } from '@ts-ebpf/dsl';
import { Program } from '@ts-ebpf/programs';
import { BpfSyscallError, hasCapability, missingCapabilities } from '@ts-ebpf/syscall';

const EPERM = 1;

// Measured on this project's test machine (Linux 6.18): as root, programs for `bpf_map_elem`,
// `bpf_sk_storage_map` and `sockmap` (even one that only returns 0) get EPERM with a verifier log
// of its statistics alone (0 instructions processed), while the other targets load; without
// CAP_BPF or CAP_PERFMON, every target gets EPERM before the verifier runs (an empty log).
// Which check of that kernel refuses the three is not known, so the messages do not say.

/** What loading a tracing program (an iterator is one) takes: `bpf_prog_load` checks both. */
const NEEDED = 'CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)';
/** What loading an iterator program needs (CAP_SYS_ADMIN stands for each). */
const ITERATOR_NEEDS = ['CAP_BPF', 'CAP_PERFMON'] as const;

/** Whether `e` is the kernel's EPERM. */
export function isEperm(e: unknown): e is BpfSyscallError {
  return e instanceof BpfSyscallError && e.errno === EPERM;
}

/** Which of CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN this process holds, as words (`A, B and C`). */
function heldCapabilities(): string {
  const held = (['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_ADMIN'] as const).filter((c) => hasCapability(c));
  return held.length > 1 ? `${held.slice(0, -1).join(', ')} and ${held.at(-1)}` : held.join('');
}

/** `; the verifier …` when the log of `e` shows the verifier ran and stopped without a message. */
function silentVerifier(e: BpfSyscallError): string {
  const lines = (e.log ?? '').split('\n').filter((l) => l !== '');
  const silent =
    lines.some((l) => /^processed 0 insns/.test(l)) &&
    lines.every((l) => /^func#\d+ @\d+$|^processed \d+ insns/.test(l));
  return silent ? '; the verifier processed 0 instructions and logged no reason' : '';
}

/**
 * What an EPERM from loading a program for iterator target `target` means, saying only what
 * was checked here: the capabilities this process lacks, if any; else, when `e` came from
 * `trivial` (a program that only returns 0), that even it is refused with them held, and whether
 * the verifier's log gives a reason.
 */
export function epermReason(e: BpfSyscallError, trivial: 'probed' | 'also'): string {
  const missing = missingCapabilities(ITERATOR_NEEDS);
  if (missing.length > 0)
    return `EPERM: loading an iterator needs ${NEEDED}; this process lacks ${missing.join(' and ')}`;
  const which = trivial === 'probed' ? ' for' : ', and also for';
  return `EPERM${which} a program that only returns 0, although this process holds ${heldCapabilities()}${silentVerifier(e)}`;
}

/**
 * Why the kernel refused `built` with `e` (an EPERM), when that is not the program's own doing:
 * this process lacks the capabilities, or a program of the same target that only returns 0 is
 * refused as well (it is loaded to find out, and closed). Undefined when that program loads, or
 * fails otherwise: then `e` is about `built` itself.
 */
export function targetRefusal(e: BpfSyscallError, built: PluginProgram): string | undefined {
  if (missingCapabilities(ITERATOR_NEEDS).length > 0) return epermReason(e, 'also');
  try {
    Program.load({ ...built, instructions: [mov(R0, 0), exit()] }).close();
    return undefined;
  } catch (trivial) {
    return isEperm(trivial) ? epermReason(trivial, 'also') : undefined;
  }
}
