import type { Program } from '@ts-ebpf/programs';
import { infoBuffer, progInfo } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { btfById } from './btf-object.js';
import { CliError } from './errors.js';
import { functionPrototype } from './func-prototype.js';
import type { XlatedAnnotations } from './xlated.js';

// What a program's BTF says of its translated instructions: where each function starts and its
// prototype (func_info: `struct bpf_func_info` { insn_off, type_id }), and the source line each run
// of instructions came from (line_info: `struct bpf_line_info` { insn_off, file_name_off,
// line_off, line_col }, the line's text at line_off in the BTF strings). The kernel gives both with
// instruction offsets of the translated code.

/** Bytes of `struct bpf_func_info` and `struct bpf_line_info` (linux/bpf.h). */
const FUNC_INFO_SIZE = 8;
const LINE_INFO_SIZE = 16;

/** The whole records of one info field of `program`, each as its u32 words. */
function records(
  program: Program,
  field: 'progFuncInfo' | 'progLineInfo',
  size: number,
  subject: string,
): number[][] {
  const count = infoBuffer(program.fd, field, new Uint8Array(0)).byteLength / size;
  const bytes = new Uint8Array(count * size);
  const copied = infoBuffer(program.fd, field, bytes);
  if (copied.byteLength !== bytes.byteLength)
    throw new CliError(`${subject}: its ${field} is ${copied.byteLength} bytes now, was ${bytes.byteLength}`);
  const v = new DataView(bytes.buffer);
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: size / 4 }, (_, w) => v.getUint32(i * size + w * 4, HOST_LITTLE_ENDIAN)),
  );
}

/** A source line with its leading white space (C's isspace) taken off, as bpftool prints it. */
const LEADING_SPACE = /^[ \t\n\v\f\r]+/;

/**
 * The function prototypes and source lines of `program`'s translated instructions, from its BTF's
 * func_info and line_info; undefined for a program loaded without BTF (none of either).
 * A function whose prototype bpftool would not print has none here; a line whose text is empty
 * (or only white space) is there with empty text, as bpftool prints it (`; `).
 */
export function xlatedAnnotations(program: Program, subject: string): XlatedAnnotations | undefined {
  const { btfId } = progInfo(program.fd);
  if (btfId === 0) return undefined;
  const btf = btfById(btfId);
  const prototypes = new Map<number, string>();
  for (const [insnOff, typeId] of records(program, 'progFuncInfo', FUNC_INFO_SIZE, subject)) {
    const proto = functionPrototype(btf, typeId!);
    if (proto !== undefined) prototypes.set(insnOff!, proto);
  }
  const lines = records(program, 'progLineInfo', LINE_INFO_SIZE, subject).map(([insnOff, , lineOff]) => ({
    pc: insnOff!,
    text: btf.string(lineOff!).replace(LEADING_SPACE, ''),
  }));
  return { prototypes, lines };
}
