import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { EbpfError } from '@ts-ebpf/uapi';

// The one reader of the kernel's symbol table. Lines are `<address> <type> <name>[\t[module]]`.

/** Where the kernel lists its symbols. */
export const KALLSYMS_PATH = '/proc/kallsyms';

/**
 * `/proc/kallsyms` cannot answer what was asked: the file cannot be read, every address in it
 * reads 0 because the kernel hides its pointers from this process (`kernel.kptr_restrict`,
 * `CAP_SYSLOG`), or a name has several addresses (static symbols of one name in different files
 * or modules). Names the symbol when there is one.
 */
export class KallsymsError extends EbpfError {
  /** The symbol asked about; undefined when the file itself could not be read. */
  readonly symbol: string | undefined;
  /**
   * @param symbol - the symbol asked about, if any
   * @param why - what is wrong
   * @param options - `cause`: the error behind it
   */
  constructor(symbol: string | undefined, why: string, options?: { cause?: unknown }) {
    super(symbol === undefined ? why : `kernel symbol '${symbol}': ${why}`, options);
    this.name = 'KallsymsError';
    this.symbol = symbol;
  }
}

/** A symbol of the kernel's table, found by address. */
export interface KernelSymbol {
  /** Its name. */
  readonly name: string;
  /** Its type letter (`T` text, `t` local text, `D` data, `b` bss …). */
  readonly type: string;
  /** Where it starts. */
  readonly address: bigint;
  /** How far the address asked about lies past its start (0 for its first byte). */
  readonly offset: bigint;
  /** The module that holds it (`[module]` on its line); undefined for the kernel itself. */
  readonly module: string | undefined;
}

/** Characters that stand for themselves in a regular expression only when escaped. */
const REGEXP_SPECIAL = /[.*+?^${}()|[\]\\]/g;

const literally = (name: string) => name.replace(REGEXP_SPECIAL, '\\$&');

/** What reading the table failed with, as a {@link KallsymsError}. */
function unreadable(e: unknown): KallsymsError {
  return new KallsymsError(undefined, `${KALLSYMS_PATH} cannot be read (${(e as Error).message})`, {
    cause: e,
  });
}

/** The line starts of `text` (which begins with a newline) sorted by address, built on first use. */
interface AddressIndex {
  readonly addresses: BigUint64Array;
  readonly starts: Uint32Array;
}

/**
 * The running kernel's symbol table as `/proc/kallsyms` gives it, read once and searched as
 * text for names (a load asks about a few, and splitting the table's hundreds of thousands of
 * lines costs more than searching it for them); an index by address is built on the first
 * lookup by address.
 *
 * Every address reads as zero when the kernel hides its pointers from the process that opened
 * the file (`kernel.kptr_restrict` 2, or 1 without `CAP_SYSLOG`, or 0 without `CAP_SYSLOG` and
 * with `kernel.perf_event_paranoid` above 1): then {@link hidden} is true.
 *
 * To ask only whether one name exists, {@link kernelSymbolExists} reads less.
 */
export class KernelSymbolTable {
  readonly #text: string;
  #hidden: boolean | undefined;
  #index: AddressIndex | undefined;

  /** @param text - the table's text (lines as in `/proc/kallsyms`) */
  constructor(text: string) {
    // A newline before the first line: every line then starts after one.
    this.#text = `\n${text}`;
  }

  /**
   * Reads `/proc/kallsyms`.
   * @throws KallsymsError with the read error as `cause` when it cannot be read
   */
  static read(): KernelSymbolTable {
    try {
      return new KernelSymbolTable(readFileSync(KALLSYMS_PATH, 'latin1'));
    } catch (e) {
      throw unreadable(e);
    }
  }

  /** Whether every address in the table is zero (kernel pointers hidden from this process). */
  get hidden(): boolean {
    this.#hidden ??= !/\n0*[1-9a-f][0-9a-f]* /.test(this.#text);
    return this.#hidden;
  }

  /** Whether some line names `name` (in the kernel or in a module). */
  has(name: string): boolean {
    return this.#lines(name).exec(this.#text) !== null;
  }

  /** The distinct addresses of the lines that name `name`, in table order (none when it has no line). */
  addresses(name: string): bigint[] {
    const found: bigint[] = [];
    for (const m of this.#text.matchAll(this.#lines(name))) {
      const address = BigInt(`0x${m[1]}`);
      if (!found.includes(address)) found.push(address);
    }
    return found;
  }

  /**
   * The one address of `name`; undefined when no line names it.
   * @throws KallsymsError when the table hides its addresses (all read 0) or names the symbol at
   * several addresses
   */
  address(name: string): bigint | undefined {
    if (this.hidden)
      throw new KallsymsError(
        name,
        `every address in ${KALLSYMS_PATH} reads 0: the kernel hides its pointers from this process ` +
          '(kernel.kptr_restrict is 2, or 1 and the process lacks CAP_SYSLOG, or 0 and it lacks CAP_SYSLOG ' +
          'with kernel.perf_event_paranoid above 1): run as a process the kernel shows them to',
      );
    const found = this.addresses(name);
    if (found.length > 1)
      throw new KallsymsError(
        name,
        `${KALLSYMS_PATH} names it at ${found.length} addresses (${found.map((a) => `0x${a.toString(16)}`).join(', ')}), so which one is meant is ambiguous`,
      );
    return found[0];
  }

  /**
   * The symbol `address` lies in: the one starting at the greatest address not above it (of
   * several starting there, the first in the table). Undefined when no symbol starts at or
   * below it, or when the table hides its addresses ({@link hidden}). The table gives no sizes,
   * so an address past the end of the last symbol before it still maps to that symbol: check
   * `offset` when only a start will do.
   */
  symbolAt(address: bigint): KernelSymbol | undefined {
    if (this.hidden) return undefined;
    const { addresses, starts } = this.#byAddress();
    // The last entry whose address is <= `address`, then back to the first of its run.
    let lo = 0;
    let hi = addresses.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (addresses[mid]! <= address) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return undefined;
    let at = lo - 1;
    while (at > 0 && addresses[at - 1] === addresses[at]) at--;
    return this.#symbolOnLine(starts[at]!, address);
  }

  /** The lines naming `name`, with the address captured. */
  #lines(name: string): RegExp {
    return new RegExp(`\\n([0-9a-f]+) \\S ${literally(name)}(?=[\\t\\n]|$)`, 'g');
  }

  /** The symbol on the line starting at `start`, asked about at `address`. */
  #symbolOnLine(start: number, address: bigint): KernelSymbol {
    const text = this.#text;
    const typeAt = text.indexOf(' ', start) + 1;
    const nameAt = typeAt + 2;
    let end = text.indexOf('\n', nameAt);
    if (end < 0) end = text.length;
    const line = text.slice(nameAt, end);
    const tab = line.indexOf('\t');
    const name = tab < 0 ? line : line.slice(0, tab);
    const module = tab < 0 ? undefined : /^\[(.*)\]$/.exec(line.slice(tab + 1))?.[1];
    const symbolAddress = BigInt(`0x${text.slice(start, typeAt - 1)}`);
    return { name, type: text[typeAt]!, address: symbolAddress, offset: address - symbolAddress, module };
  }

  /** Every line's start, sorted by its address (the table is not sorted: modules and programs follow the kernel). */
  #byAddress(): AddressIndex {
    if (this.#index) return this.#index;
    const text = this.#text;
    const lineStarts: number[] = [];
    const lineAddresses: bigint[] = [];
    for (let at = 1; at < text.length; ) {
      const space = text.indexOf(' ', at);
      let next = text.indexOf('\n', at);
      if (next < 0) next = text.length;
      if (space > at && space < next) {
        lineStarts.push(at);
        lineAddresses.push(BigInt(`0x${text.slice(at, space)}`));
      }
      at = next + 1;
    }
    // Comparing (not subtracting) keeps the sort from making a BigInt per comparison.
    const order = Array.from(lineStarts.keys()).sort((a, b) => {
      const x = lineAddresses[a]!;
      const y = lineAddresses[b]!;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
    this.#index = {
      addresses: BigUint64Array.from(order, (i) => lineAddresses[i]!),
      starts: Uint32Array.from(order, (i) => lineStarts[i]!),
    };
    return this.#index;
  }
}

/**
 * Whether `/proc/kallsyms` names `name` (in the kernel or in a module), reading the file only
 * until the first line that does: the kernel produces it slowly (about 0.2 s for the whole
 * table here), so a name early in the table is answered in a fraction of that. To ask about
 * several names, read the table once with {@link KernelSymbolTable.read}.
 * @throws KallsymsError with the read error as `cause` when the file cannot be read
 */
export function kernelSymbolExists(name: string): boolean {
  const pattern = new RegExp(`\\n[0-9a-f]+ \\S ${literally(name)}[\\t\\n]`);
  let fd: number;
  try {
    fd = openSync(KALLSYMS_PATH, 'r');
  } catch (e) {
    throw unreadable(e);
  }
  try {
    const chunk = Buffer.alloc(1 << 20);
    // The text kept from the last chunk starts with a newline, so a line split between two
    // chunks is matched whole; the first chunk gets one in front.
    let carry = '\n';
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.byteLength, null);
      // The table ends with a newline; one more makes a last line without it match too.
      const text = carry + (n > 0 ? chunk.toString('latin1', 0, n) : '\n');
      if (pattern.test(text)) return true;
      if (n <= 0) return false;
      carry = text.slice(text.lastIndexOf('\n'));
    }
  } catch (e) {
    throw unreadable(e);
  } finally {
    closeSync(fd);
  }
}
