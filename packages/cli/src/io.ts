/**
 * Where a command writes. The `ts-ebpf` binary passes the process's streams; tests and
 * embedding programs pass their own collectors.
 */
export interface CliIo {
  /** Writes text to standard output (the text carries its own newlines). */
  stdout(s: string): void;
  /** Writes text to standard error (the text carries its own newlines). */
  stderr(s: string): void;
  /**
   * Colour the human output (ANSI escapes). Default false. The binary turns it on only when
   * standard output is a terminal and `NO_COLOR` is unset or empty.
   */
  readonly color?: boolean;
}

/**
 * Whether the binary colours its output: standard output is a terminal and the `NO_COLOR`
 * environment variable (https://no-color.org) is unset or empty.
 */
export function colorWanted(
  isTTY: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
