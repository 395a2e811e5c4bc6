import { readFileSync } from 'node:fs';
import { EbpfError } from '@ts-ebpf/uapi';

/** A function or object symbol of an ELF file. */
export interface ElfSymbol {
  /** The symbol's name. */
  readonly name: string;
  /** Virtual address (st_value). */
  readonly address: bigint;
  /** Size in bytes (st_size). */
  readonly size: bigint;
  /** `STT_*`: 1 object, 2 func, 10 gnu ifunc. */
  readonly type: number;
  /** `STB_*`: 0 local, 1 global, 2 weak. */
  readonly binding: number;
  /** Which table it came from. */
  readonly table: 'symtab' | 'dynsym';
}

/** The ELF file is not a 64-bit little-endian ELF, or is damaged. */
export class ElfError extends EbpfError {
  /** @param path - the file; @param why - what is wrong with it */
  constructor(path: string, why: string) {
    super(`${path}: ${why}`);
    this.name = 'ElfError';
  }
}

/** A symbol that is not in the file. */
export class SymbolNotFoundError extends EbpfError {
  /** The missing symbol. */
  readonly symbol: string;
  /** @param path - the file searched; @param symbol - the missing name */
  constructor(path: string, symbol: string) {
    super(`symbol '${symbol}' not found in ${path} (.symtab / .dynsym)`);
    this.name = 'SymbolNotFoundError';
    this.symbol = symbol;
  }
}

interface Segment {
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly filesz: bigint;
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;

/**
 * A small ELF64 (little-endian) symbol reader: the `.symtab` and `.dynsym` tables and the
 * loadable segments, enough to turn a symbol into the file offset a uprobe needs.
 */
export class ElfSymbols {
  /** The file the symbols came from. */
  readonly path: string;
  readonly #symbols: ElfSymbol[];
  readonly #segments: Segment[];

  private constructor(path: string, symbols: ElfSymbol[], segments: Segment[]) {
    this.path = path;
    this.#symbols = symbols;
    this.#segments = segments;
  }

  /** Reads and parses an ELF file. */
  static open(path: string): ElfSymbols {
    return ElfSymbols.parse(new Uint8Array(readFileSync(path)), path);
  }

  /** Parses ELF bytes (`path` names them in errors). */
  static parse(bytes: Uint8Array, path = '<elf>'): ElfSymbols {
    if (
      bytes.byteLength < 64 ||
      bytes[0] !== 0x7f ||
      bytes[1] !== 0x45 ||
      bytes[2] !== 0x4c ||
      bytes[3] !== 0x46
    ) {
      throw new ElfError(path, 'not an ELF file');
    }
    if (bytes[4] !== 2 || bytes[5] !== 1)
      throw new ElfError(path, 'only 64-bit little-endian ELF is supported');
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const num = (o: number) => Number(v.getBigUint64(o, true));
    const check = (o: number, n: number) => {
      if (o < 0 || o + n > bytes.byteLength) throw new ElfError(path, `truncated at offset ${o}`);
    };
    const phoff = num(32);
    const shoff = num(40);
    const phentsize = v.getUint16(54, true);
    const phnum = v.getUint16(56, true);
    const shentsize = v.getUint16(58, true);
    const shnum = v.getUint16(60, true);
    const segments: Segment[] = [];
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      check(o, 56);
      if (v.getUint32(o, true) !== PT_LOAD) continue;
      segments.push({
        offset: v.getBigUint64(o + 8, true),
        vaddr: v.getBigUint64(o + 16, true),
        filesz: v.getBigUint64(o + 32, true),
      });
    }
    const section = (i: number) => {
      const o = shoff + i * shentsize;
      check(o, 64);
      return {
        type: v.getUint32(o + 4, true),
        offset: num(o + 24),
        size: num(o + 32),
        link: v.getUint32(o + 40, true),
        entsize: num(o + 56),
      };
    };
    const decoder = new TextDecoder();
    const symbols: ElfSymbol[] = [];
    for (let i = 0; i < shnum; i++) {
      const s = section(i);
      if (s.type !== SHT_SYMTAB && s.type !== SHT_DYNSYM) continue;
      const strtab = section(s.link);
      check(s.offset, s.size);
      check(strtab.offset, strtab.size);
      const entsize = s.entsize || 24;
      for (let at = s.offset; at + entsize <= s.offset + s.size; at += entsize) {
        const nameOff = v.getUint32(at, true);
        if (nameOff === 0 || nameOff >= strtab.size) continue;
        const start = strtab.offset + nameOff;
        let end = start;
        while (end < strtab.offset + strtab.size && bytes[end] !== 0) end++;
        const info = bytes[at + 4]!;
        symbols.push({
          name: decoder.decode(bytes.subarray(start, end)),
          type: info & 0xf,
          binding: info >> 4,
          address: v.getBigUint64(at + 8, true),
          size: v.getBigUint64(at + 16, true),
          table: s.type === SHT_SYMTAB ? 'symtab' : 'dynsym',
        });
      }
    }
    return new ElfSymbols(path, symbols, segments);
  }

  /** Every named symbol. */
  get symbols(): readonly ElfSymbol[] {
    return this.#symbols;
  }

  /** The defined symbol called `name` (functions preferred), or undefined. */
  find(name: string): ElfSymbol | undefined {
    const defined = this.#symbols.filter((s) => s.name === name && s.address !== 0n);
    return defined.find((s) => s.type === 2 || s.type === 10) ?? defined[0];
  }

  /** Turns a virtual address into a file offset through the loadable segments. */
  addressToOffset(address: bigint): bigint {
    for (const s of this.#segments) {
      if (address >= s.vaddr && address < s.vaddr + s.filesz) return address - s.vaddr + s.offset;
    }
    return address; // no segment covers it (relocatable object): the address is the offset
  }

  /** The file offset of symbol `name` (plus `offset` bytes), as a uprobe takes it. */
  symbolOffset(name: string, offset = 0): bigint {
    const s = this.find(name);
    if (!s) throw new SymbolNotFoundError(this.path, name);
    return this.addressToOffset(s.address) + BigInt(offset);
  }
}
