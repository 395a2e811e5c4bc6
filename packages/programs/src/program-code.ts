/**
 * A loaded program's code and debug info, copied out of the kernel with BPF_OBJ_GET_INFO_BY_FD
 * (`struct bpf_prog_info`, linux/bpf.h): its translated instructions (as the verifier rewrote
 * them), its JIT-compiled code with each function's kernel address and length, and the
 * func_info and line_info records of its BTF, decoded.
 */
import type { Btf } from '@ts-ebpf/btf';
import { readBtfObject } from '@ts-ebpf/btf/kernel';
import {
  btfGetFdById,
  type InfoBufferField,
  infoBuffer,
  OwnedFd,
  type ProgInfo,
  progInfo,
} from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { ProgramCodeUnavailableError } from './errors.js';
import {
  decodeFuncInfo,
  decodeLineInfo,
  FUNC_INFO_SIZE,
  type FuncInfo,
  LINE_INFO_SIZE,
  type LineInfo,
} from './source-location.js';

/** One JIT-compiled function of a program: the main program, or a subprogram. */
export interface JitedFunction {
  /** Its kernel address (`jited_ksyms`): where `/proc/kallsyms` lists `bpf_prog_<tag>_<name>`. */
  readonly address: bigint;
  /** Its length in bytes (`jited_func_lens`). */
  readonly length: number;
  /** Where its code starts in {@link JitedCode.bytes} (the functions follow one another there). */
  readonly offset: number;
}

/** A program's JIT-compiled machine code (for this machine's architecture). */
export interface JitedCode {
  /** The code of every function, the main program first, then the subprograms in order. */
  readonly bytes: Uint8Array;
  /** Each function's address, length and place in `bytes`, in the same order. */
  readonly functions: readonly JitedFunction[];
}

const NO_CAPABILITY = 'the caller lacks CAP_BPF (and CAP_SYS_ADMIN), for which it zeroes every length';
const WITHHELD =
  'it withheld them (kernel.kptr_restrict hides kernel addresses and raw code: at 1 from callers without CAP_SYSLOG, at 2 from everyone)';

/**
 * Copies the info field `field` of `fd`, `byteLength` bytes (the length the kernel reported).
 * @throws ProgramCodeUnavailableError when the kernel withholds the contents, or the field changed size
 */
function copyField(
  fd: number,
  field: InfoBufferField,
  byteLength: number,
  subject: string,
  what: string,
): Uint8Array {
  const bytes = new Uint8Array(byteLength);
  const copied = infoBuffer(fd, field, bytes);
  if (copied.withheld) throw new ProgramCodeUnavailableError(subject, what, WITHHELD);
  if (copied.byteLength !== byteLength) {
    throw new ProgramCodeUnavailableError(
      subject,
      what,
      `it reported ${byteLength} bytes, then ${copied.byteLength}`,
    );
  }
  return bytes;
}

/** Whether the kernel zeroed every length of the info for this caller (no CAP_BPF). */
const lengthsZeroed = (info: ProgInfo) => info.xlatedProgLen === 0;

/**
 * The program's translated instructions (host byte order): the code as the verifier rewrote it,
 * with map references as map ids (see `Program.instructions`).
 * @throws ProgramCodeUnavailableError when the kernel gives none to this caller
 */
export function xlatedCode(fd: number, subject: string): Uint8Array {
  const what = 'translated instructions';
  const info = progInfo(fd);
  if (lengthsZeroed(info)) throw new ProgramCodeUnavailableError(subject, what, NO_CAPABILITY);
  return copyField(fd, 'progXlatedInsns', info.xlatedProgLen, subject, what);
}

/** The u32 or u64 elements of a copied info field, in host byte order. */
function words(bytes: Uint8Array, size: 4 | 8): (number | bigint)[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / size }, (_, i) =>
    size === 4 ? v.getUint32(i * 4, HOST_LITTLE_ENDIAN) : v.getBigUint64(i * 8, HOST_LITTLE_ENDIAN),
  );
}

/** Why a program has no JIT-compiled code, from its info. */
function notJited(info: ProgInfo): string | undefined {
  if (lengthsZeroed(info)) return NO_CAPABILITY;
  if (info.jitedProgLen === 0)
    return 'it is not JIT-compiled (the interpreter runs it: net.core.bpf_jit_enable=0)';
  return undefined;
}

/**
 * Each JIT-compiled function of the program: main program first, then its subprograms in the
 * order of their bpf-to-bpf call indexes.
 * @throws ProgramCodeUnavailableError when the program is not JIT-compiled, or the kernel gives
 *   the addresses to no caller like this one
 */
export function jitedFunctions(fd: number, subject: string): JitedFunction[] {
  const what = 'JIT-compiled function addresses and lengths';
  const reason = notJited(progInfo(fd));
  if (reason !== undefined) throw new ProgramCodeUnavailableError(subject, what, reason);
  const count = (field: InfoBufferField) => infoBuffer(fd, field, new Uint8Array(0)).byteLength;
  const addresses = words(copyField(fd, 'progJitedKsyms', count('progJitedKsyms'), subject, what), 8);
  const lengths = words(copyField(fd, 'progJitedFuncLens', count('progJitedFuncLens'), subject, what), 4);
  if (addresses.length !== lengths.length) {
    throw new ProgramCodeUnavailableError(
      subject,
      what,
      `it gave ${addresses.length} addresses and ${lengths.length} lengths`,
    );
  }
  let offset = 0;
  return addresses.map((address, i) => {
    const length = lengths[i] as number;
    const f = { address: address as bigint, length, offset };
    offset += length;
    return f;
  });
}

/**
 * The program's JIT-compiled code and its functions.
 * @throws ProgramCodeUnavailableError when the program is not JIT-compiled, or the kernel
 *   withholds the code from this caller
 */
export function jitedCode(fd: number, subject: string): JitedCode {
  const what = 'JIT-compiled code';
  const info = progInfo(fd);
  const reason = notJited(info);
  if (reason !== undefined) throw new ProgramCodeUnavailableError(subject, what, reason);
  const bytes = copyField(fd, 'progJitedInsns', info.jitedProgLen, subject, what);
  const functions = jitedFunctions(fd, subject);
  const total = functions.reduce((n, f) => n + f.length, 0);
  if (total !== bytes.byteLength) {
    throw new ProgramCodeUnavailableError(
      subject,
      what,
      `its functions' lengths add up to ${total} bytes, the code is ${bytes.byteLength}`,
    );
  }
  return { bytes, functions };
}

/**
 * The program's BTF (the BTF object `btfId` of its info), read back from the kernel; undefined
 * for a program loaded without BTF.
 */
export function loadedProgramBtf(fd: number): Btf | undefined {
  const { btfId } = progInfo(fd);
  if (btfId === 0) return undefined;
  using btf = new OwnedFd(btfGetFdById(btfId), `BTF object id ${btfId}`);
  return readBtfObject(btf.fd);
}

/**
 * The whole records of a func_info or line_info field of `fd`.
 * @throws ProgramCodeUnavailableError when the kernel zeroed the counts for this caller (no
 *   CAP_BPF): no records would then read as a program without any
 */
function records(fd: number, field: 'progFuncInfo' | 'progLineInfo', subject: string): Uint8Array {
  const what = field === 'progFuncInfo' ? 'function info' : 'line info';
  if (lengthsZeroed(progInfo(fd))) throw new ProgramCodeUnavailableError(subject, what, NO_CAPABILITY);
  return copyField(fd, field, infoBuffer(fd, field, new Uint8Array(0)).byteLength, subject, what);
}

/** The program's line_info records decoded with its BTF `btf` (instructions of the translated code). */
export function programLineInfo(fd: number, btf: Btf, subject: string): LineInfo[] {
  return decodeLineInfo(records(fd, 'progLineInfo', subject), LINE_INFO_SIZE, btf);
}

/** The program's func_info records decoded with its BTF `btf` (instructions of the translated code). */
export function programFuncInfo(fd: number, btf: Btf, subject: string): FuncInfo[] {
  return decodeFuncInfo(records(fd, 'progFuncInfo', subject), FUNC_INFO_SIZE, btf);
}
