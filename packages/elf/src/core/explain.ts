import { type CoreRelocationResult, describeCoreRelocation } from './apply.js';
import { CORE_POISON_HELPER } from './patch.js';

/** Where a verifier log shows a poisoned CO-RE instruction being reached. */
export interface CoreFailure {
  /** Instruction index the verifier stopped at. */
  readonly insn: number;
  /** The relocation that poisoned it, when the results name one there. */
  readonly relocation: CoreRelocationResult | undefined;
  /** A message naming the failed relocation. */
  readonly message: string;
}

const POISON_CALL = new RegExp(`^(\\d+): \\(85\\) call unknown#${CORE_POISON_HELPER}\\b`, 'm');
const POISON_ERROR = `unknown#${CORE_POISON_HELPER}`;

/**
 * Reads a verifier log for the poisoned-relocation call (`invalid func
 * unknown#195896080` at instruction N) and names the relocation behind it.
 * Returns undefined when the log shows no such failure.
 */
export function explainCoreFailure(
  log: string,
  results: readonly CoreRelocationResult[],
): CoreFailure | undefined {
  if (!log.includes(POISON_ERROR)) return undefined;
  const lines = log.split('\n');
  let insn: number | undefined;
  for (let i = lines.length - 1; i >= 0 && insn === undefined; i--) {
    const m = POISON_CALL.exec(lines[i]!);
    if (m) insn = Number(m[1]);
  }
  if (insn === undefined) {
    // a log without instruction dumps: only one candidate can be meant if only one was poisoned
    const poisoned = results.filter((r) => r.poisoned);
    if (poisoned.length !== 1) {
      return {
        insn: -1,
        relocation: undefined,
        message: `the verifier reached a poisoned CO-RE relocation (${poisoned.length} poisoned)`,
      };
    }
    insn = poisoned[0]!.insn;
  }
  const relocation = results.find((r) => r.insn === insn && r.poisoned);
  const message = relocation
    ? `CO-RE relocation failed: ${describeCoreRelocation(relocation)}`
    : `the verifier reached a poisoned instruction ${insn}, but no CO-RE relocation poisoned it`;
  return { insn, relocation, message };
}
