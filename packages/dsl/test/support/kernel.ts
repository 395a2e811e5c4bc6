import { readFileSync } from 'node:fs';
import { close, progLoad, progTestRun } from '@ts-ebpf/syscall';
import { assemble, type Instruction, type MapResolver, ProgramType } from '../../src/index.js';

/** An Ethernet frame for test runs: dst/src MACs, EtherType 0x0800, then a counting payload. */
export const PACKET = Uint8Array.from({ length: 64 }, (_, i) => (i === 12 ? 0x08 : i === 13 ? 0x00 : i));

/** Loads `insns` as a socket filter, calls `fn` with the fd, and always closes it. */
export function withProgram<T>(
  insns: readonly Instruction[],
  fn: (fd: number) => T,
  options: { maps?: MapResolver; progType?: number } = {},
): T {
  const bytes = assemble(insns, options.maps ? { maps: options.maps } : {});
  let fd: number;
  try {
    fd = progLoad({
      progType: options.progType ?? ProgramType.SOCKET_FILTER,
      insns: bytes,
      license: 'GPL',
      logLevel: 1,
    });
  } catch (e) {
    const log = (e as { log?: string }).log;
    throw new Error(`${(e as Error).message}\n${log ?? ''}`);
  }
  try {
    return fn(fd);
  } finally {
    close(fd);
  }
}

/** Runs a socket filter once on {@link PACKET} and returns its (u32) return value. */
export function runProgram(insns: readonly Instruction[], maps?: MapResolver): number {
  return withProgram(insns, (fd) => progTestRun({ progFd: fd, dataIn: PACKET }).retval, maps ? { maps } : {});
}

/** The `prog_tag` the kernel reports for a program fd (from /proc/self/fdinfo). */
export function kernelTag(fd: number): string {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /prog_tag:\s*([0-9a-f]+)/.exec(info);
  if (!m) throw new Error(`no prog_tag in fdinfo:\n${info}`);
  return m[1]!;
}

export { close };
