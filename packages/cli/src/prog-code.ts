import type { Program } from '@ts-ebpf/programs';
import { infoBuffer, progInfo } from '@ts-ebpf/syscall';
import { CliError } from './errors.js';

/** Which code of a program: as the verifier rewrote it (`xlated`) or as the JIT compiled it. */
export type CodeKind = 'xlated' | 'jited';

/**
 * The code of a loaded program, copied out of the kernel with BPF_OBJ_GET_INFO_BY_FD:
 * `xlated` instructions (host byte order; map pointers replaced by map ids) or the `jited`
 * machine code.
 * @throws CliError when the kernel has none to give: not JIT-compiled, or withheld (the caller
 *   lacks CAP_SYS_ADMIN, or kernel pointers are restricted for it)
 */
export function programCode(program: Program, kind: CodeKind, subject: string): Uint8Array {
  const info = progInfo(program.fd);
  const length = kind === 'xlated' ? info.xlatedProgLen : info.jitedProgLen;
  if (length === 0) {
    throw new CliError(
      kind === 'jited'
        ? `${subject} has no JIT-compiled image (the JIT is off, or the kernel withheld it: reading it needs CAP_SYS_ADMIN)`
        : `${subject}: the kernel gave no translated instructions (reading them needs CAP_SYS_ADMIN)`,
    );
  }
  const code = new Uint8Array(length);
  const copied = infoBuffer(program.fd, kind === 'xlated' ? 'progXlatedInsns' : 'progJitedInsns', code);
  if (copied.withheld) {
    throw new CliError(
      `${subject}: the kernel withheld the ${kind} code (raw dumps are not allowed for this caller: kptr_restrict, or no CAP_SYSLOG)`,
    );
  }
  if (copied.byteLength !== length) {
    throw new CliError(`${subject}: the ${kind} code is ${copied.byteLength} bytes now, was ${length}`);
  }
  return code;
}

/**
 * The kernel address of each JIT-compiled function of a program (`jited_ksyms`): the main
 * program first, then its subprograms in order, so a bpf-to-bpf call's subprogram index picks
 * its function. Undefined when the program is not JIT-compiled, or the kernel withheld the
 * addresses from this caller (kptr_restrict).
 */
export function jitedFunctions(program: Program): bigint[] | undefined {
  if (progInfo(program.fd).jitedProgLen === 0) return undefined;
  const count = infoBuffer(program.fd, 'progJitedKsyms', new Uint8Array(0)).byteLength / 8;
  if (count === 0) return undefined;
  const addresses = new BigUint64Array(count);
  const copied = infoBuffer(program.fd, 'progJitedKsyms', new Uint8Array(addresses.buffer));
  if (copied.withheld || copied.byteLength !== addresses.byteLength) return undefined;
  return Array.from(addresses);
}
