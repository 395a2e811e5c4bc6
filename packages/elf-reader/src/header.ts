import type { ByteOrder } from '@ts-ebpf/uapi';
import { need, safeU64 } from './bounds.js';
import { ElfError } from './errors.js';

/** A parsed ELF64 header. */
export interface ElfHeader {
  /** `EI_DATA`: the byte order of every multi-byte field of the file. */
  byteOrder: ByteOrder;
  /** `e_type`: 1 relocatable, 2 executable, 3 shared object. */
  type: number;
  /** `e_machine`: the target (247 BPF, 62 x86-64 …; `Machine` in @ts-ebpf/elf-reader names them). */
  machine: number;
  /** `e_version`. */
  version: number;
  /** `e_flags`. */
  flags: number;
  /** `e_phoff`: where the program headers start (0: none). */
  phoff: number;
  /** `e_phentsize`. */
  phentsize: number;
  /** `e_phnum`. */
  phnum: number;
  /** `e_shoff`: where the section headers start (0: none). */
  shoff: number;
  /** `e_shentsize`. */
  shentsize: number;
  /** `e_shnum` (0 when the count is in section 0). */
  shnum: number;
  /** `e_shstrndx`. */
  shstrndx: number;
}

/**
 * Reads only the ELF64 header (64 bytes): magic, class, byte order, machine, where the
 * tables are. Lets a caller refuse a file for its target before reading anything else.
 * @throws ElfError for a file that is not ELF64 or is shorter than its header
 */
export function parseElfHeader(bytes: Uint8Array): ElfHeader {
  need(bytes, 0, 64, 'ELF header');
  const b = bytes;
  if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46)
    throw new ElfError('not an ELF file (bad magic)', 0);
  if (b[4] !== 2) throw new ElfError(`only ELF64 is supported (EI_CLASS ${b[4]})`, 4);
  if (b[5] !== 1 && b[5] !== 2) throw new ElfError(`bad byte order (EI_DATA ${b[5]})`, 5);
  const le = b[5] === 1;
  const v = new DataView(b.buffer, b.byteOffset, 64);
  const header: ElfHeader = {
    byteOrder: le ? 'little' : 'big',
    type: v.getUint16(16, le),
    machine: v.getUint16(18, le),
    version: v.getUint32(20, le),
    phoff: safeU64(v, 32, le, 'e_phoff', 32),
    shoff: safeU64(v, 40, le, 'e_shoff', 40),
    flags: v.getUint32(48, le),
    phentsize: v.getUint16(54, le),
    phnum: v.getUint16(56, le),
    shentsize: v.getUint16(58, le),
    shnum: v.getUint16(60, le),
    shstrndx: v.getUint16(62, le),
  };
  if (header.shoff !== 0 && header.shentsize !== 64) {
    throw new ElfError(`section header size ${header.shentsize}, expected 64`, 58);
  }
  return header;
}
