import { didYouMean } from './did-you-mean.js';
import { UsageError } from './errors.js';

/** The long names of the common flags (every subcommand's). */
const COMMON_OPTIONS = ['--json', '--help'];

/** Flags every subcommand understands. */
export interface CommonFlags {
  /** `--json` / `-j`: one JSON document on standard output instead of human text. */
  readonly json: boolean;
  /** `--help` / `-h`: print the usage and exit 0. */
  readonly help: boolean;
}

/**
 * The arguments of one subcommand, read front to back. Common flags are taken out first;
 * any other argument starting with `-` is refused, so a typo is not read as a value.
 */
export class Args {
  readonly #rest: string[];
  /** The common flags found anywhere in the arguments. */
  readonly flags: CommonFlags;

  /**
   * @param argv - the arguments after the subcommand's words
   * @param usage - the subcommand's usage, quoted in every usage error
   */
  constructor(
    argv: readonly string[],
    readonly usage: string,
  ) {
    let json = false;
    let help = false;
    const rest: string[] = [];
    for (const a of argv) {
      if (a === '--json' || a === '-j') json = true;
      else if (a === '--help' || a === '-h') help = true;
      else rest.push(a);
    }
    this.#rest = rest;
    this.flags = { json, help };
  }

  /** A usage error for this subcommand. */
  error(message: string): UsageError {
    return new UsageError(message, this.usage);
  }

  /** True when every argument has been read. */
  get done(): boolean {
    return this.#rest.length === 0;
  }

  /** The next argument, without taking it. */
  peek(): string | undefined {
    return this.#rest[0];
  }

  /**
   * Takes the next argument.
   * @param what - names it in the error when it is missing (`'a map id'`)
   * @throws UsageError when there is none, or it looks like an option
   */
  next(what: string): string {
    const a = this.#rest.shift();
    if (a === undefined) throw this.error(`missing ${what}`);
    this.refuseOption(a);
    return a;
  }

  /**
   * @throws UsageError "unknown option" when `a` looks like an option (`-x`, `--x`; not a
   *   negative number): no subcommand takes options other than the common flags
   */
  refuseOption(a: string | undefined): void {
    if (a?.startsWith('-') && a.length > 1 && !/^-\d/.test(a))
      throw this.error(`unknown option '${a}'${a.startsWith('--') ? didYouMean(a, COMMON_OPTIONS) : ''}`);
  }

  /** Takes the next argument if it equals `word`. */
  take(word: string): boolean {
    if (this.#rest[0] !== word) return false;
    this.#rest.shift();
    return true;
  }

  /**
   * Takes the next argument as an object id: a decimal integer from 1 to 2^32 - 1.
   * @throws UsageError naming `what` and the text given
   */
  id(what: string): number {
    const a = this.next(what);
    const n = /^[0-9]+$/.test(a) ? Number(a) : Number.NaN;
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff)
      throw this.error(`${what} must be a number from 1 to 4294967295, got '${a}'`);
    return n;
  }

  /** Every argument left, taken. */
  rest(): string[] {
    return this.#rest.splice(0);
  }

  /** @throws UsageError when arguments are left over (an unknown option, or an extra argument) */
  end(): void {
    this.refuseOption(this.#rest[0]);
    if (this.#rest.length > 0) throw this.error(`unexpected argument '${this.#rest[0]}'`);
  }
}
