import {
  add,
  call,
  type Instruction,
  mov,
  type Operand,
  R1,
  R2,
  R3,
  R4,
  R5,
  R10,
  st,
  stx,
} from '@ts-ebpf/dsl';
import { isLittleEndian } from '@ts-ebpf/uapi';
import { IterArgumentError, IterFieldError, SeqFormatError } from './errors.js';
import { checkStack, type IterSection } from './plugin.js';

/** The most arguments bpf_seq_printf takes (the kernel's MAX_BPF_FUNC_VAR_ARGS). */
export const SEQ_PRINTF_MAX_ARGS = 12;

/** What one conversion of a seq_printf format reads. */
export type FormatArg = 'int' | 'long' | 'string' | 'pointer' | 'char' | 'address';

/**
 * The conversions of a bpf_seq_printf format, checked by the rules the kernel applies when
 * the helper runs (`bpf_bprintf_prepare` of kernel/bpf/helpers.c): printable ASCII or white
 * space only; `%%`; flags `0 + - space` and a width; `%d %i %u %x %X` with `l`/`ll`; `%c`,
 * `%s`; `%p`, `%pK`, `%px`, `%ps`, `%pS`, `%pB`, `%pks`, `%pus`, `%pi4 %pI4 %pi6 %pI6`. No
 * precision (`.`), no `%n`, no `h`; a string conversion (`%s`, `%pks`, `%pus`) must be followed
 * by the end, white space or punctuation (`%sfoo` is refused). A format the kernel refuses makes
 * the helper fail each time it runs, printing nothing, so it is refused here.
 * @throws SeqFormatError naming the format and the position
 */
export function formatArgs(format: string): FormatArg[] {
  const out: FormatArg[] = [];
  const bad = (i: number, why: string): never => {
    throw new SeqFormatError(format, `at ${i}: ${why}`);
  };
  // The kernel refuses a string conversion followed by a letter or a digit (only the end,
  // white space or punctuation may follow it).
  const stringEnd = (at: number): void => {
    const next = format[at + 1];
    if (next !== undefined && /[A-Za-z0-9]/.test(next))
      bad(
        at + 1,
        `'${next}' right after a string conversion: the kernel takes only the end, white space or punctuation there`,
      );
  };
  for (let i = 0; i < format.length; i++) {
    const c = format.charCodeAt(i);
    if (c > 0x7e || (c < 0x20 && !(c >= 9 && c <= 13)))
      bad(i, `character ${JSON.stringify(format[i])} is not printable ASCII or white space`);
    if (format[i] !== '%') continue;
    if (format[i + 1] === '%') {
      i++;
      continue;
    }
    const start = i;
    i++;
    while ('0+- '.includes(format[i] ?? '@')) i++;
    while (/[0-9]/.test(format[i] ?? '')) i++;
    const f = format[i];
    if (f === undefined) bad(start, 'the format ends inside a conversion');
    if (f === '.') bad(i, 'the kernel takes no precision');
    if (f === 'p') {
      const n1 = format[i + 1] ?? '';
      const n2 = format[i + 2] ?? '';
      if ((n1 === 'k' || n1 === 'u') && n2 === 's') {
        i += 2;
        stringEnd(i);
        out.push('string');
      } else if ((n1 === 'i' || n1 === 'I') && (n2 === '4' || n2 === '6')) {
        out.push('address');
        i += 2;
      } else if ('KxsSB'.includes(n1) && n1 !== '') {
        out.push('pointer');
        i += 1;
      } else if (/[A-Za-z0-9]/.test(n1)) bad(i, `%p${n1} is not a pointer conversion the kernel knows`);
      else out.push('pointer');
      continue;
    }
    if (f === 's') {
      stringEnd(i);
      out.push('string');
      continue;
    }
    if (f === 'c') {
      out.push('char');
      continue;
    }
    let long = false;
    if (format[i] === 'l') {
      long = true;
      i++;
      if (format[i] === 'l') i++;
    }
    const conv = format[i];
    if (conv === undefined || !'diuxX'.includes(conv))
      bad(start, `'${format.slice(start, i + 1)}' is not a conversion the kernel knows`);
    out.push(long ? 'long' : 'int');
  }
  if (out.length > SEQ_PRINTF_MAX_ARGS)
    throw new SeqFormatError(
      format,
      `${out.length} conversions; the kernel takes at most ${SEQ_PRINTF_MAX_ARGS}`,
    );
  return out;
}

/** Options of {@link seqPrintf}. */
export interface SeqPrintfOptions {
  /**
   * Stack offset (negative) of the area the format and the arguments are written to; the
   * default puts them at the top of the stack (`r10 - size`). Those bytes are overwritten.
   */
  readonly at?: number;
}

function alignUp8(n: number): number {
  return (n + 7) & ~7;
}

function stackWords(bytes: Uint8Array, at: number, little: boolean): Instruction[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  for (let o = 0; o < bytes.byteLength; o += 4) out.push(st('w', R10, at + o, v.getInt32(o, little)));
  return out;
}

function storeArg(arg: Operand, off: number, i: number): Instruction {
  if (typeof arg !== 'number') return stx('dw', R10, arg, off);
  if (!Number.isInteger(arg) || arg < -(2 ** 31) || arg >= 2 ** 31)
    throw new IterArgumentError(
      `seq_printf argument ${i}`,
      `${arg} is not a 32-bit integer: pass larger values in a register`,
    );
  return st('dw', R10, off, arg);
}

/**
 * `bpf_seq_printf(seq, format, args)`: the format (NUL-terminated) and each argument (a
 * register or a 32-bit constant, 8 bytes each) are written to the stack, then the helper is
 * called. The format is checked as the kernel will ({@link formatArgs}), and must use as many
 * conversions as there are arguments. Clobbers R1–R5 and R0 (the helper's result).
 * @throws SeqFormatError, IterArgumentError
 */
export function seqPrintf(
  s: IterSection,
  format: string,
  args: readonly Operand[] = [],
  options: SeqPrintfOptions = {},
): Instruction[] {
  const wanted = formatArgs(format);
  if (wanted.length !== args.length)
    throw new SeqFormatError(format, `${wanted.length} conversions for ${args.length} arguments`);
  return seqPrintfCall(s, format, args, options);
}

/**
 * The instructions of {@link seqPrintf} without the format's check (`format` must be ASCII):
 * for tests that ask the kernel what it makes of a format.
 * @internal
 */
export function seqPrintfCall(
  s: IterSection,
  format: string,
  args: readonly Operand[],
  options: SeqPrintfOptions = {},
): Instruction[] {
  const fmt = new Uint8Array(alignUp8(format.length + 1));
  for (let i = 0; i < format.length; i++) fmt[i] = format.charCodeAt(i); // ASCII, checked above
  const size = fmt.byteLength + 8 * args.length;
  const at = options.at ?? -size;
  checkStack('seq_printf stack area', at, size);
  const data = at + fmt.byteLength;
  return [
    ...args.map((a, i) => storeArg(a, data + 8 * i, i)),
    ...stackWords(fmt, at, isLittleEndian(s.btf.byteOrder)),
    ...s.seq(R1),
    mov(R2, R10),
    add(R2, at),
    mov(R3, fmt.byteLength),
    ...(args.length > 0 ? [mov(R4, R10), add(R4, data)] : [mov(R4, 0)]),
    mov(R5, 8 * args.length),
    call('seq_printf'),
  ];
}

/**
 * `bpf_seq_write(seq, r10 + stackOffset, size)`: writes `size` bytes of the stack (a record
 * laid out by a {@link RecordLayout}) to the iterator's output. Clobbers R1–R5 and R0.
 */
export function seqWrite(s: IterSection, stackOffset: number, size: number): Instruction[] {
  checkStack('seq_write buffer', stackOffset, size);
  if (size <= 0) throw new IterArgumentError('seq_write size', `${size} is not a positive byte count`);
  return [...s.seq(R1), mov(R2, R10), add(R2, stackOffset), mov(R3, size), call('seq_write')];
}

/** Flags of bpf_seq_printf_btf (`BTF_F_*` of linux/bpf.h). */
export const BtfPrintFlag = Object.freeze({ COMPACT: 1, NONAME: 2, PTR_RAW: 4, ZERO: 8 } as const);

/** Options of {@link seqPrintfBtf}. */
export interface SeqPrintfBtfOptions {
  /** Stack offset (negative) of the 16-byte `struct btf_ptr`; default `r10 - 16`. */
  readonly at?: number;
  /** `BtfPrintFlag` bits. */
  readonly flags?: number;
}

/**
 * `bpf_seq_printf_btf(seq, &(struct btf_ptr){ ptr, type_id }, 16, flags)`: prints the object
 * `ptr` points to as the kernel's BTF describes type `type` (`'struct task_struct'` or an id).
 * Clobbers R1–R5 and R0.
 * @throws IterFieldError for a type the BTF does not have
 */
export function seqPrintfBtf(
  s: IterSection,
  ptr: Operand,
  type: string | number,
  options: SeqPrintfBtfOptions = {},
): Instruction[] {
  const typeId = typeof type === 'number' ? type : findType(s, type);
  const at = options.at ?? -16;
  checkStack('seq_printf_btf btf_ptr', at, 16);
  const flags = options.flags ?? 0;
  return [
    typeof ptr === 'number' ? st('dw', R10, at, ptr) : stx('dw', R10, ptr, at),
    st('w', R10, at + 8, typeId),
    st('w', R10, at + 12, 0),
    ...s.seq(R1),
    mov(R2, R10),
    add(R2, at),
    mov(R3, 16),
    mov(R4, flags),
    call('seq_printf_btf'),
  ];
}

function findType(s: IterSection, type: string): number {
  const m = /^\s*(struct|union|enum|typedef)?\s*([A-Za-z_]\w*)\s*$/.exec(type);
  const kind = (m?.[1] ?? undefined) as 'struct' | 'union' | 'enum' | 'typedef' | undefined;
  const id = m ? s.btf.findIds(m[2]!, kind)[0] : undefined;
  if (id === undefined) throw new IterFieldError(type, "is not a type in the kernel's BTF");
  return id;
}
