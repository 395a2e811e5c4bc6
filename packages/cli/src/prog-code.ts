import type { Program } from '@ts-ebpf/programs';
import { addressOf, objGetInfoByFd } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
import { CliError } from './errors.js';

// struct bpf_prog_info: jited_prog_len @16, xlated_prog_len @20, jited_prog_insns @24,
// xlated_prog_insns @32 (u64 user pointers). The kernel reads and writes only `info_len` bytes.
const JITED_LEN = 16;
const XLATED_LEN = 20;
const JITED_INSNS = 24;
const XLATED_INSNS = 32;
const INFO_PREFIX = 40;

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
  const le = isLittleEndian(HOST_BYTE_ORDER);
  const lenAt = kind === 'xlated' ? XLATED_LEN : JITED_LEN;
  const ptrAt = kind === 'xlated' ? XLATED_INSNS : JITED_INSNS;
  const first = new Uint8Array(INFO_PREFIX);
  objGetInfoByFd(program.fd, first);
  const length = new DataView(first.buffer).getUint32(lenAt, le);
  if (length === 0) {
    throw new CliError(
      kind === 'jited'
        ? `${subject} has no JIT-compiled image (the JIT is off, or the kernel withheld it: reading it needs CAP_SYS_ADMIN)`
        : `${subject}: the kernel gave no translated instructions (reading them needs CAP_SYS_ADMIN)`,
    );
  }
  const code = new Uint8Array(length);
  const info = new Uint8Array(INFO_PREFIX);
  const view = new DataView(info.buffer);
  view.setUint32(lenAt, length, le);
  view.setBigUint64(ptrAt, addressOf(code), le);
  objGetInfoByFd(program.fd, info);
  if (view.getBigUint64(ptrAt, le) === 0n) {
    throw new CliError(
      `${subject}: the kernel withheld the ${kind} code (raw dumps are not allowed for this caller: kptr_restrict, or no CAP_SYSLOG)`,
    );
  }
  const written = view.getUint32(lenAt, le);
  if (written !== length) {
    throw new CliError(`${subject}: the ${kind} code is ${written} bytes now, was ${length}`);
  }
  return code;
}
