import { BpfSyscallError } from '@ts-ebpf/syscall';
import type { InstructionLocation } from './instructions.js';
import type { SourceLocation } from './source-location.js';

/** Lines the verifier appends after the error: statistics, not the cause. */
const TRAILER =
  /^(processed \d+ insns|verification time|stack depth|max_states_per_insn|peak_states|mark_read|-- END PROG LOAD LOG --|\s*$)/;

/** The `N: (op) text` line the verifier prints for each instruction it checks. */
const INSN_LINE = /^(\d+): \(([0-9a-f]{2})\)/;

/** The parts of a verifier log that locate a failure. */
export interface ParsedVerifierLog {
  /** The last meaningful line: the verifier's reason. */
  readonly errorLine: string;
  /** Slot index of the last instruction the verifier printed, or undefined. */
  readonly slot: number | undefined;
}

/** Finds the error line and failing instruction slot in a verifier log. */
export function parseVerifierLog(log: string): ParsedVerifierLog {
  const lines = log.split('\n');
  let end = lines.length;
  while (end > 0 && TRAILER.test(lines[end - 1]!)) end--;
  const errorLine = (lines[end - 1] ?? '').trim();
  let slot: number | undefined;
  for (let i = end - 1; i >= 0; i--) {
    const m = INSN_LINE.exec(lines[i]!);
    if (m) {
      slot = Number(m[1]);
      break;
    }
  }
  return { errorLine, slot };
}

/** A hint: a fixed text, or one made from the log (to name what the log names). */
type Hint = string | ((log: string) => string);

/** The helper of the last call the log shows (`call bpf_probe_read_kernel#113`), or undefined. */
function lastHelperCalled(log: string): string | undefined {
  let name: string | undefined;
  for (const m of log.matchAll(/\bcall ([A-Za-z_]\w*)#\d+/g)) name = m[1];
  return name;
}

const HINTS: readonly [RegExp, Hint][] = [
  [
    /invalid mem access '(scalar|map_value_or_null|\w+_or_null)'|R\d+ invalid mem access|map_value_or_null/,
    'a pointer may be NULL here: test the result of bpf_map_lookup_elem (or similar) against 0 before dereferencing it',
  ],
  [
    /invalid access to packet|out of bounds|invalid access to map value|R\d+ (min|max) value is outside|invalid bpf_context access|invalid mem access|offset is outside|access beyond/,
    'invalid memory access: check the pointer against its bounds first (data + n <= data_end for packets, offsets within value_size for map values, only documented context fields)',
  ],
  [
    /back-edge|infinite loop|loop detected|BPF program is too large|unbounded|jump out of range/,
    'unbounded loop or back-edge: give loops a constant bound the verifier can follow (or use bpf_loop), and keep the program under the complexity limit',
  ],
  [
    /cannot call GPL-restricted function|GPL/,
    (log) =>
      `${lastHelperCalled(log) ?? 'this helper'} is GPL-only: load with a GPL-compatible license (license: 'GPL')`,
  ],
  [
    // 0xbad2310: the call libbpf-style CO-RE loaders write over an instruction whose relocation
    // could not be satisfied (not a helper at all)
    /invalid func unknown#195896080\b/,
    'this call is the poison a CO-RE loader writes for a relocation it could not satisfy on this kernel (a field, type or enum value missing here): guard the access with bpf_core_field_exists() or the like, or use a type this kernel has',
  ],
  [
    /unknown func|invalid func unknown#|program of this type cannot use helper|helper call is not allowed|not allowed for prog type|calling kernel function .* is not allowed/,
    'this helper is not available to this program type (or this kernel): check the helpers the program type may call',
  ],
  [
    /At program exit the register R0 .*should have been in/,
    'the return value is outside the range this program type (and its attach type) may return, the one the error names: set r0 to one of its return codes before every exit (a cgroup skb program returns 1 to pass the packet, 0 to drop it)',
  ],
  [
    /R0 !read_ok|R0 is not|R0 not /,
    'r0 is not set on some path before exit: set the return value (r0 = …) before every exit',
  ],
  [
    /invalid (write|read|indirect read|indirect access) to stack|invalid stack|stack out of bounds|invalid size of register fill|uninitialized stack/,
    'stack access out of bounds or uninitialized: stay within r10-512..r10-1, aligned, and write stack memory before passing it to helpers',
  ],
  [
    /type=\w+ expected=/,
    'a helper argument has the wrong type: pass the kind of pointer or value the helper expects',
  ],
  [
    /unreachable insn/,
    'unreachable instruction: remove code after an unconditional jump or exit, or jump to it',
  ],
  [/!read_ok/, 'a register is read before it is written: initialize it on every path'],
];

/** A hint for the common verifier failures, matched against the error line (then the whole log). */
export function verifierHint(errorLine: string, log: string): string | undefined {
  const text = (hint: Hint) => (typeof hint === 'string' ? hint : hint(log));
  for (const [re, hint] of HINTS) if (re.test(errorLine)) return text(hint);
  for (const [re, hint] of HINTS) if (re.test(log)) return text(hint);
  return undefined;
}

/**
 * The verifier rejected a program. Carries the whole log, the error line, the failing
 * instruction (slot index and text; when the program came from `@ts-ebpf/dsl`, the instruction
 * index and nearest label; when the load gave func_info and line_info, as for a program of a
 * clang object, the function and the C source line) and a hint for common failures.
 * It is a {@link BpfSyscallError}, so `errno` and `code` are there too.
 *
 * When looking up the C source line fails (reading the program's BTF back from the kernel), the
 * error is still this one, with the instruction located without its source, the failure in
 * {@link VerifierError.sourceLookupError} and noted on the message's last line.
 */
export class VerifierError extends BpfSyscallError {
  /** The full verifier log. */
  override readonly log: string;
  /** The verifier's reason: the last meaningful line of the log. */
  readonly errorLine: string;
  /** Where the failure is, when the log names an instruction. */
  readonly instruction: InstructionLocation | undefined;
  /** A suggestion for this kind of failure, when one is known. */
  readonly verifierHint: string | undefined;
  /** The program's name, when it has one. */
  readonly programName: string | undefined;
  /**
   * Why the failing instruction's function and C source line are missing from
   * {@link VerifierError.instruction} although the load gave func_info or line_info: the error
   * that looking them up threw (reading the program's BTF back from the kernel). Undefined when
   * the lookup worked or was not needed.
   */
  readonly sourceLookupError: unknown;

  /**
   * @param errno - the load's errno; @param log - the verifier log; @param instruction - where it failed
   * @param programName - the program's name; @param options - `cause`: the load's system call error;
   *   `sourceLookupError`: why the instruction's C source could not be looked up, if it could not
   */
  constructor(
    errno: number,
    log: string,
    instruction: InstructionLocation | undefined,
    programName?: string,
    options?: ErrorOptions & { readonly sourceLookupError?: unknown },
  ) {
    super(errno, { syscall: 'bpf', command: 'BPF_PROG_LOAD', detail: programName || undefined, log });
    const { errorLine } = parseVerifierLog(log);
    const hint = verifierHint(errorLine, log);
    const where = instruction ? ` at ${describeLocation(instruction)}` : '';
    const lookup = options?.sourceLookupError;
    const lookupNote =
      lookup === undefined
        ? ''
        : `\n(the instruction's C source could not be looked up: ${lookup instanceof Error ? lookup.message : String(lookup)})`;
    this.message = `verifier rejected ${programName ? `program '${programName}'` : 'the program'}${where}: ${errorLine}${hint ? `\nhint: ${hint}` : ''}${lookupNote}`;
    this.name = 'VerifierError';
    this.log = log;
    this.errorLine = errorLine;
    this.instruction = instruction;
    this.verifierHint = hint;
    this.programName = programName;
    this.sourceLookupError = lookup;
    // BpfSyscallError takes no options: set the standard cause property as the Error constructor would.
    if (options && 'cause' in options)
      Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
  }
}

/**
 * `instruction 7 [loop+2: r0 = *(u32 *)(r1 + 4)]`, and for a program with func_info and line_info
 * `instruction 12 [bump+3: r0 = *(u64 *)(r1 + 0)] from prog.bpf.c:34:9 \`*v += 1;\``.
 */
export function describeLocation(l: InstructionLocation): string {
  const parts: string[] = [];
  if (l.function !== undefined)
    parts.push(l.functionOffset ? `${l.function}+${l.functionOffset}` : l.function);
  if (l.label !== undefined) parts.push(l.labelOffset ? `${l.label}+${l.labelOffset}` : l.label);
  if (l.text !== undefined) parts.push(l.text);
  const slot = l.slot !== l.index ? ` (slot ${l.slot})` : '';
  const source = l.source ? ` from ${describeSource(l.source)}` : '';
  return `instruction ${l.index}${slot}${parts.length ? ` [${parts.join(': ')}]` : ''}${source}`;
}

/** `prog.bpf.c:34:9 \`*v += 1;\`` (the column and the text when the line_info record has them). */
function describeSource(s: SourceLocation): string {
  const column = s.column !== undefined ? `:${s.column}` : '';
  const text = s.sourceLine?.trim() ? ` \`${s.sourceLine.trim()}\`` : '';
  return `${s.file}:${s.line}${column}${text}`;
}
