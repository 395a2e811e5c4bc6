import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

/** u32 words in the host's byte order (BTF records, func_info and line_info records). */
export function hostWords(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) v.setUint32(i * 4, x, HOST_LITTLE_ENDIAN);
  return b;
}

/** What BPF_PROG_LOAD takes to give a program one function and source lines. */
export interface ProgramDebugInfo {
  /** The raw BTF: [1] INT 'int', [2] FUNC_PROTO int(void), [3] FUNC `name` (global). */
  readonly btf: Uint8Array;
  /** One `struct bpf_func_info` { insn_off 0, type_id 3 }. */
  readonly funcInfo: Uint8Array;
  /** A `struct bpf_line_info` for each line, in 'prog.c' at line 1, 2, …, column 1. */
  readonly lineInfo: Uint8Array;
}

/**
 * The BTF, func_info and line_info of a program whose only function is `name` (`int name()`),
 * with source line `lines[k]` (any text, empty too) at instruction `k` (linux/btf.h, linux/bpf.h).
 */
export function programDebugInfo(name: string, lines: readonly string[]): ProgramDebugInfo {
  const strings = ['', 'int', name, 'prog.c', ...lines];
  const offsets: number[] = [];
  let size = 0;
  for (const s of strings) {
    offsets.push(size);
    size += new TextEncoder().encode(s).byteLength + 1;
  }
  const at = (k: number) => offsets[k]!;
  const types = hostWords([at(1), 1 << 24, 4, (1 << 24) | 32, 0, 13 << 24, 1, at(2), (12 << 24) | 1, 2]);
  const text = new TextEncoder().encode(`${strings.join('\0')}\0`);
  const header = new Uint8Array(24);
  const v = new DataView(header.buffer);
  v.setUint16(0, 0xeb9f, HOST_LITTLE_ENDIAN);
  v.setUint8(2, 1);
  v.setUint32(4, 24, HOST_LITTLE_ENDIAN);
  v.setUint32(12, types.byteLength, HOST_LITTLE_ENDIAN);
  v.setUint32(16, types.byteLength, HOST_LITTLE_ENDIAN);
  v.setUint32(20, text.byteLength, HOST_LITTLE_ENDIAN);
  return {
    btf: new Uint8Array([...header, ...types, ...text]),
    funcInfo: hostWords([0, 3]),
    lineInfo: hostWords(lines.flatMap((_, k) => [k, at(3), at(4 + k), ((k + 1) << 10) | 1])),
  };
}
