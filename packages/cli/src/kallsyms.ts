import { readFileSync } from 'node:fs';

/** The kernel's function symbols by address, from `/proc/kallsyms`. */
export interface KernelSymbols {
  /** The address helper-call immediates of translated code are relative to (`__bpf_call_base`). */
  readonly callBase: bigint | undefined;
  /** The symbol starting at `address`. */
  at(address: bigint): string | undefined;
}

/**
 * Reads `/proc/kallsyms`. Addresses are all zero when kernel pointers are hidden from this
 * process (kptr_restrict): then `callBase` is undefined and nothing resolves.
 * @throws Error from reading the file (Linux always has it)
 */
export function readKernelSymbols(): KernelSymbols {
  const byAddress = new Map<bigint, string>();
  let callBase: bigint | undefined;
  for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    if (second < 0) continue;
    const address = BigInt(`0x${line.slice(0, first)}`);
    if (address === 0n) continue;
    const tab = line.indexOf('\t', second + 1);
    const name = line.slice(second + 1, tab < 0 ? undefined : tab);
    if (name === '__bpf_call_base') callBase = address;
    if (!byAddress.has(address)) byAddress.set(address, name);
  }
  return { callBase, at: (a) => byAddress.get(a) };
}
