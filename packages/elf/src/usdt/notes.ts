import { type ElfFile, SectionType, SegmentType } from '@ts-ebpf/elf-reader';
import { isLittleEndian } from '@ts-ebpf/uapi';
import { UsdtSpecError } from '../errors.js';

/** `n_type` of a SystemTap SDT note (`NT_STAPSDT` in `<sys/sdt.h>`). */
const NT_STAPSDT = 3;
/** The owner name of SDT notes. */
const STAPSDT_OWNER = 'stapsdt';

/** One USDT probe site, as a `.note.stapsdt` note of a binary describes it. */
export interface UsdtNote {
  /** The provider (first argument of `STAP_PROBE*`/`DTRACE_PROBE*`). */
  readonly provider: string;
  /** The probe's name. */
  readonly name: string;
  /** The argument operands, space-separated, in the target's assembler syntax (`-4@%edi 8@-8(%rbp)`). */
  readonly args: string;
  /** Virtual address of the probe's `nop`, adjusted for a prelinked `.stapsdt.base`. */
  readonly address: bigint;
  /** Virtual address of the probe's semaphore (a 2-byte counter), or 0n when it has none. */
  readonly semaphore: bigint;
}

const utf8 = (bytes: Uint8Array): string =>
  new (
    globalThis as unknown as { TextDecoder: new () => { decode(b: Uint8Array): string } }
  ).TextDecoder().decode(bytes);

/**
 * The USDT probes of a binary: every `NT_STAPSDT` note of its `.note.stapsdt` section, in
 * file order (a probe used at several places has one note per place). Addresses are
 * corrected as SystemTap's convention says: when the `.stapsdt.base` section lies
 * elsewhere than the note recorded (the binary was prelinked), by the difference.
 * `binary` names the file in errors. Pure: reads only `elf`'s bytes.
 * @throws UsdtSpecError for a note that runs past its section or lacks its strings
 */
export function readUsdtNotes(elf: ElfFile, binary: string): UsdtNote[] {
  const section = elf.sections.find((s) => s.name === '.note.stapsdt' && s.type === SectionType.NOTE);
  if (!section) return [];
  const base = elf.section('.stapsdt.base');
  const data = elf.data(section);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = isLittleEndian(elf.header.byteOrder);
  const fail = (at: number, why: string): never => {
    throw new UsdtSpecError(binary, '', `note at offset ${at} of .note.stapsdt: ${why}`);
  };
  const pad4 = (n: number) => (n + 3) & ~3;
  const out: UsdtNote[] = [];
  for (let at = 0; at < data.byteLength; ) {
    if (at + 12 > data.byteLength) fail(at, 'truncated note header');
    const nameSize = view.getUint32(at, le);
    const descSize = view.getUint32(at + 4, le);
    const type = view.getUint32(at + 8, le);
    const nameAt = at + 12;
    const descAt = nameAt + pad4(nameSize);
    const next = descAt + pad4(descSize);
    if (descAt + descSize > data.byteLength) fail(at, 'runs past the section');
    at = next;
    const owner = utf8(data.subarray(nameAt, nameAt + nameSize)).replace(/\0+$/, '');
    if (type !== NT_STAPSDT || owner !== STAPSDT_OWNER) continue;
    if (descSize < 24) fail(nameAt - 12, `descriptor of ${descSize} bytes, shorter than its three addresses`);
    const address = view.getBigUint64(descAt, le);
    const noteBase = view.getBigUint64(descAt + 8, le);
    const semaphore = view.getBigUint64(descAt + 16, le);
    const strings = utf8(data.subarray(descAt + 24, descAt + descSize)).split('\0');
    if (strings.length < 4) fail(nameAt - 12, 'lacks the provider, name and argument strings');
    const shift = base && noteBase !== 0n ? base.addr - noteBase : 0n;
    out.push({
      provider: strings[0]!,
      name: strings[1]!,
      args: strings[2]!,
      address: BigInt.asUintN(64, address + shift),
      semaphore: semaphore === 0n ? 0n : BigInt.asUintN(64, semaphore + shift),
    });
  }
  return out;
}

/**
 * The file offset of a virtual address of an executable or shared library, through the
 * loadable segment whose file contents hold it; undefined when none does.
 */
export function fileOffsetOf(elf: ElfFile, address: bigint): bigint | undefined {
  for (const s of elf.segments) {
    if (s.type === SegmentType.LOAD && address >= s.vaddr && address < s.vaddr + s.filesz)
      return address - s.vaddr + s.offset;
  }
  return undefined;
}
