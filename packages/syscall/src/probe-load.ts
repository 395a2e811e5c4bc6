import { BpfSyscallError } from './errors.js';
import { close } from './fd.js';
import { type ProbeCapability, throwIfUnprivileged } from './probe-permission.js';
import { progLoad } from './prog-load.js';

// What every feature probe shares: its answer, and loading a probe program.

/** The answer of one probe. */
export interface ProbeResult {
  supported: boolean;
  /** Why not: the errno name or a short reason. */
  reason?: string;
}

/** A probe that found the feature. */
export const YES: ProbeResult = Object.freeze({ supported: true });

/** A probe refused by `e`: the errno name of a system call's error, else the error's text. */
export function no(e: unknown): ProbeResult {
  return { supported: false, reason: e instanceof BpfSyscallError ? e.code : String(e) };
}

/** A probe program. */
export interface LoadProbe {
  progType: number;
  insns: Uint8Array;
  expectedAttachType?: number | undefined;
}

/** Loads a probe program with a small log; reports the outcome and the verifier log. */
export function tryLoad(p: LoadProbe): { ok: boolean; log: string; error?: unknown } {
  try {
    const fd = progLoad({ ...p, logLevel: 1, logSize: 4096, license: 'GPL' });
    close(fd);
    return { ok: true, log: '' };
  } catch (e) {
    return { ok: false, log: e instanceof BpfSyscallError ? (e.log ?? '') : '', error: e };
  }
}

// Lines of a verifier log that are not its verdict: the trace of instructions and register states
// (`1: (15) if r0 == 0x0 goto pc-1 ; R0=0`), the states it prints after some verdicts
// (`cur state: …`, `old state: …`) and the statistics that end every log.
const NOT_VERDICT = /^(\d+: |(cur|old) state:|processed \d+ insns|verification time|stack depth)/;

/**
 * The verifier's verdict in `log`: its last line that is not an instruction's trace, a state or a
 * statistic (`unknown opcode d7`, `back-edge from insn 2 to 1`), or undefined when there is none.
 */
export function verdict(log: string): string | undefined {
  const lines = log
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !NOT_VERDICT.test(l));
  return lines.at(-1);
}

/**
 * Whether a program that uses a feature loads: loaded without a log (a log of a long program
 * would not fit a small buffer); when refused, loaded again with one for the reason, which is the
 * errno name and the verifier's verdict (`EINVAL: unknown opcode d7`), or the errno name alone
 * when the kernel refused it before the verifier ran (`E2BIG` for too many instructions).
 * @throws ProbePermissionError (named `probe`) when refused with EPERM, EACCES or one of
 *   `permissionCodes` while this process lacks one of `needs`
 */
export function probeLoad(
  p: LoadProbe,
  probe: string,
  needs: readonly ProbeCapability[],
  permissionCodes?: ReadonlySet<string>,
): ProbeResult {
  try {
    close(progLoad({ ...p, license: 'GPL' }));
    return YES;
  } catch {
    // refused: load it again for the reason
  }
  try {
    close(progLoad({ ...p, license: 'GPL', logLevel: 1 }));
    return YES; // refused once, loaded now: the first refusal was a passing one
  } catch (e) {
    throwIfUnprivileged(probe, needs, e, permissionCodes);
    const why = e instanceof BpfSyscallError ? verdict(e.log ?? '') : undefined;
    const base = no(e);
    return why === undefined ? base : { supported: false, reason: `${base.reason}: ${why}` };
  }
}
