import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';

const CAP_SYS_ADMIN = 21;
const CAP_BPF = 39;

function effectiveCapabilities(): bigint {
  const status = readFileSync('/proc/self/status', 'utf8');
  const line = status.split('\n').find((l) => l.startsWith('CapEff:'));
  return line ? BigInt(`0x${line.slice('CapEff:'.length).trim()}`) : 0n;
}

/** Why kernel tests cannot run here, or `undefined` when they can. */
export function kernelUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `platform is ${process.platform}, not linux`;
  const caps = effectiveCapabilities();
  const has = (bit: number) => (caps & (1n << BigInt(bit))) !== 0n;
  if (!has(CAP_BPF) && !has(CAP_SYS_ADMIN)) return 'process lacks CAP_BPF and CAP_SYS_ADMIN';
  return undefined;
}

/** True when the CI run demands that no kernel test is skipped. */
export const kernelRequired = process.env.TS_EBPF_REQUIRE_KERNEL === '1';

function gate(reason: string | undefined, what: string): boolean {
  if (!reason) return true;
  if (kernelRequired) {
    throw new Error(`${what} cannot run (${reason}) and TS_EBPF_REQUIRE_KERNEL=1 forbids skipping`);
  }
  console.warn(`[skip] ${what}: ${reason}`);
  return false;
}

/**
 * `describe` for tests that need a real BPF-capable kernel. Skips with a printed
 * reason where the capability is missing; fails instead when TS_EBPF_REQUIRE_KERNEL=1.
 * Pass `extraReason` for a feature-specific probe result (undefined = available).
 */
export function describeKernel(name: string, fn: () => void, extraReason?: string): void {
  const reason = kernelUnavailableReason() ?? extraReason;
  if (gate(reason, name)) describe(name, fn);
  else describe.skip(name, fn);
}

/**
 * `it` for a test whose feature this kernel may not support (kprobes, fentry …).
 * These skip with the probe's reason even under TS_EBPF_REQUIRE_KERNEL=1, because
 * the machine, not the code, lacks the feature.
 */
export function itIfSupported(name: string, unsupportedReason: string | undefined, fn: () => unknown): void {
  if (unsupportedReason === undefined) it(name, fn);
  else {
    console.warn(`[skip] ${name}: unsupported here: ${unsupportedReason}`);
    it.skip(`${name} (unsupported here: ${unsupportedReason})`, fn);
  }
}
