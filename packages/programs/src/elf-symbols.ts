import { readFileSync } from 'node:fs';
import { ElfError, type ElfFile, parseElf, SectionType, SegmentType, SymbolType } from '@ts-ebpf/elf-reader';
import { EbpfError } from '@ts-ebpf/uapi';

export { ElfError } from '@ts-ebpf/elf-reader';

/** `PF_X` of `p_flags`: the segment is executable (the ELF specification's program header). */
const PF_X = 1;
/** `PF_W` of `p_flags`: the segment is writable. */
const PF_W = 2;

/** A function or object symbol of an ELF file. */
export interface ElfSymbol {
  /** The symbol's name. */
  readonly name: string;
  /** Virtual address (st_value). */
  readonly address: bigint;
  /** Size in bytes (st_size). */
  readonly size: bigint;
  /** `STT_*` (`SymbolType` of `@ts-ebpf/elf-reader`): 1 object, 2 func, 10 gnu ifunc. */
  readonly type: number;
  /** `STB_*`: 0 local, 1 global, 2 weak. */
  readonly binding: number;
  /** Which table it came from. */
  readonly table: 'symtab' | 'dynsym';
}

/** A symbol that is not in the file. */
export class SymbolNotFoundError extends EbpfError {
  /** The missing symbol. */
  readonly symbol: string;
  /** @param path - the file searched; @param symbol - the missing name */
  constructor(path: string, symbol: string) {
    super(`symbol '${symbol}' not found in ${path} (.symtab / .dynsym)`);
    this.symbol = symbol;
  }
}

/**
 * The symbols of an executable or shared library (`.symtab` and `.dynsym`) and its loadable
 * segments: enough to turn a symbol into the file offset a uprobe needs. Reads ELF64 of either
 * byte order through `@ts-ebpf/elf-reader`.
 */
export class ElfSymbols {
  /** The file the symbols came from. */
  readonly path: string;
  readonly #elf: ElfFile;
  readonly #symbols: ElfSymbol[];

  private constructor(path: string, elf: ElfFile, symbols: ElfSymbol[]) {
    this.path = path;
    this.#elf = elf;
    this.#symbols = symbols;
  }

  /** Reads and parses an ELF file. @throws ElfError naming the file when it is not a readable ELF64 */
  static open(path: string): ElfSymbols {
    return ElfSymbols.parse(readFileSync(path), path);
  }

  /**
   * Parses ELF bytes (any Uint8Array; never written to). `path` names them in errors.
   * @throws ElfError naming `path` when they are not a readable ELF64 file (cause: the reader's error)
   */
  static parse(bytes: Uint8Array, path = '<elf>'): ElfSymbols {
    try {
      const elf = parseElf(bytes);
      const symbols: ElfSymbol[] = [];
      for (const section of elf.sections) {
        if (section.type !== SectionType.SYMTAB && section.type !== SectionType.DYNSYM) continue;
        const table = section.type === SectionType.SYMTAB ? 'symtab' : 'dynsym';
        for (const s of elf.symbolTable(section)) {
          if (!s.name) continue;
          symbols.push({
            name: s.name,
            address: s.value,
            size: s.size,
            type: s.type,
            binding: s.bind,
            table,
          });
        }
      }
      elf.segments; // read now: a corrupt program header table is an error of parse, not of a later lookup
      return new ElfSymbols(path, elf, symbols);
    } catch (e) {
      if (e instanceof ElfError) throw new ElfError(`${path}: ${e.message}`, undefined, { cause: e });
      throw e;
    }
  }

  /** Every named symbol. */
  get symbols(): readonly ElfSymbol[] {
    return this.#symbols;
  }

  /** The defined symbol called `name` (functions preferred), or undefined. */
  find(name: string): ElfSymbol | undefined {
    const defined = this.#symbols.filter((s) => s.name === name && s.address !== 0n);
    return defined.find((s) => s.type === SymbolType.FUNC || s.type === SymbolType.GNU_IFUNC) ?? defined[0];
  }

  /**
   * Turns a virtual address into a file offset through the loadable segments.
   * @throws ElfError for an address no loadable segment has file bytes for
   */
  addressToOffset(address: bigint): bigint {
    return this.#elf.addressToOffset(address);
  }

  /**
   * True when file offset `offset` lies in a loadable segment the program header marks
   * executable (PT_LOAD with PF_X): where a uprobe's breakpoint can ever be reached.
   */
  isExecutableOffset(offset: bigint): boolean {
    return this.#inLoadedFilePart(offset, PF_X);
  }

  /**
   * True when file offset `offset` lies in the file-backed part of a loadable segment the
   * program header marks writable (PT_LOAD with PF_W): where a USDT semaphore (a uprobe's
   * reference counter) must be, since the kernel counts it only in a private writable mapping
   * of the file.
   */
  isWritableOffset(offset: bigint): boolean {
    return this.#inLoadedFilePart(offset, PF_W);
  }

  /** True when `offset` is inside the file bytes of a PT_LOAD segment with all of `flags`. */
  #inLoadedFilePart(offset: bigint, flags: number): boolean {
    return this.#elf.segments.some(
      (s) =>
        s.type === SegmentType.LOAD &&
        (s.flags & flags) === flags &&
        offset >= s.offset &&
        offset < s.offset + s.filesz,
    );
  }

  /**
   * The file offset of symbol `name` (plus `offset` bytes), as a uprobe takes it.
   * @throws SymbolNotFoundError when the file defines no such symbol
   * @throws ElfError naming the path and the symbol when no loadable segment has file bytes at
   * its address (a `.bss` variable: there is no code there to probe)
   */
  symbolOffset(name: string, offset = 0): bigint {
    const s = this.find(name);
    if (!s) throw new SymbolNotFoundError(this.path, name);
    try {
      return this.addressToOffset(s.address) + BigInt(offset);
    } catch (e) {
      if (e instanceof ElfError)
        throw new ElfError(`${this.path}: symbol ${name}: ${e.message}`, undefined, { cause: e });
      throw e;
    }
  }
}
