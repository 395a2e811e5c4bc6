import { BpfArgumentError } from './errors.js';
import { checkU32 } from './validate.js';

/**
 * The bits of a verifier log level (`log_level` of BPF_PROG_LOAD and `btf_log_level` of
 * BPF_BTF_LOAD; `BPF_LOG_*` in the kernel's include/linux/bpf_verifier.h): 0 asks for no log,
 * LEVEL1 for the verifier's states at branches and the reason of a refusal, LEVEL2 for every
 * instruction's state, STATS for the closing statistics, FIXED for a log that keeps its start
 * when the buffer fills (instead of its end).
 */
export const VerifierLogLevel = Object.freeze({ LEVEL1: 1, LEVEL2: 2, STATS: 4, FIXED: 8 } as const);

/** Every bit the kernel takes in a log level (`BPF_LOG_MASK`); it refuses others with EINVAL. */
const LOG_MASK = 0xf;

/** Whether `level` is one the kernel takes: 0, or {@link VerifierLogLevel} bits or'd together. */
export function isVerifierLogLevel(level: number): boolean {
  return Number.isInteger(level) && level >= 0 && (level & ~LOG_MASK) === 0;
}

/**
 * Checks a verifier log level before the kernel is asked (it answers a bare EINVAL).
 * @throws BpfArgumentError naming `argument`
 */
export function checkLogLevel(level: number, argument = 'logLevel'): number {
  checkU32(level, argument);
  if (!isVerifierLogLevel(level))
    throw new BpfArgumentError(
      argument,
      `${level} is no verifier log level: expected 0 (no log), or BPF_LOG_LEVEL1 (1), BPF_LOG_LEVEL2 (2), BPF_LOG_STATS (4) and BPF_LOG_FIXED (8) or'd together`,
    );
  return level;
}
