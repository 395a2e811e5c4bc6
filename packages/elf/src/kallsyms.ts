import { readFileSync } from 'node:fs';
import { KallsymsError } from './errors.js';

/** Where the kernel lists its symbols. */
export const KALLSYMS_PATH = '/proc/kallsyms';

/** Characters that stand for themselves in a regular expression only when escaped. */
const REGEXP_SPECIAL = /[.*+?^${}()|[\]\\]/g;

/**
 * The running kernel's symbol table as `/proc/kallsyms` gives it (lines
 * `<address> <type> <name>[\t[module]]`), read once and searched as text: a load asks about
 * a few names, and splitting the table's hundreds of thousands of lines costs more than
 * searching it for them.
 *
 * Every address reads as zero when the kernel hides its pointers from the process that opened
 * the file (`kernel.kptr_restrict` 2, or 1 without `CAP_SYSLOG`, or 0 without `CAP_SYSLOG` and
 * with `kernel.perf_event_paranoid` above 1): then {@link hidden} is true.
 */
export class KernelSymbolTable {
  readonly #text: string;
  #hidden: boolean | undefined;

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
      throw new KallsymsError(undefined, `${KALLSYMS_PATH} cannot be read (${(e as Error).message})`, {
        cause: e,
      });
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

  /** The lines naming `name`, with the address captured. */
  #lines(name: string): RegExp {
    return new RegExp(`\\n([0-9a-f]+) \\S ${name.replace(REGEXP_SPECIAL, '\\$&')}(?=[\\t\\n]|$)`, 'g');
  }
}

/**
 * The address of the kernel symbol `name` for a typeless `__ksym` extern, as libbpf resolves
 * one: its one address in the table; undefined when no line names it.
 * @throws KallsymsError when the table hides its addresses (all read 0) or names the symbol at
 * several addresses
 */
export function typelessKsymAddress(table: KernelSymbolTable, name: string): bigint | undefined {
  if (table.hidden)
    throw new KallsymsError(
      name,
      `every address in ${KALLSYMS_PATH} reads 0: the kernel hides its pointers from this process ` +
        '(kernel.kptr_restrict is 2, or 1 and the process lacks CAP_SYSLOG, or 0 and it lacks CAP_SYSLOG ' +
        'with kernel.perf_event_paranoid above 1): load as a process the kernel shows them to',
    );
  const found = table.addresses(name);
  if (found.length > 1)
    throw new KallsymsError(
      name,
      `${KALLSYMS_PATH} names it at ${found.length} addresses (${found.map((a) => `0x${a.toString(16)}`).join(', ')}), so which one is meant is ambiguous`,
    );
  return found[0];
}
