import { readFileSync } from 'node:fs';

/** The kernel's symbols by address, from `/proc/kallsyms`. */
export interface KernelSymbols {
  /** The address helper-call immediates of translated code are relative to (`__bpf_call_base`). */
  readonly callBase: bigint | undefined;
  /** The symbol starting at `address`. */
  at(address: bigint): string | undefined;
}

/** The name on the kallsyms line starting at `start` (`<address> <type> <name>[\t[module]]`). */
function nameAt(text: string, start: number): string {
  const nameStart = text.indexOf(' ', text.indexOf(' ', start) + 1) + 1;
  let end = nameStart;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\t') end++;
  return text.slice(nameStart, end);
}

/**
 * Reads `/proc/kallsyms` (lines `<address> <type> <name>`) and answers lookups by searching its
 * text. Addresses are all zero when kernel pointers are hidden from this process
 * (kptr_restrict): then `callBase` is undefined and nothing resolves.
 * @throws Error from reading the file (Linux always has it)
 */
export function readKernelSymbols(): KernelSymbols {
  const text = `\n${readFileSync('/proc/kallsyms', 'utf8')}`;
  const base = /\n([0-9a-f]+) \w __bpf_call_base\n/.exec(text);
  const callBase = base && BigInt(`0x${base[1]}`) !== 0n ? BigInt(`0x${base[1]}`) : undefined;
  const width = base?.[1]?.length ?? 16;
  return {
    callBase,
    at(address) {
      const at = text.indexOf(`\n${address.toString(16).padStart(width, '0')} `);
      return at < 0 ? undefined : nameAt(text, at + 1);
    },
  };
}
