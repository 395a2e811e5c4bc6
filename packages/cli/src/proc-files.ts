import { readFileSync } from 'node:fs';
import { CliError } from './errors.js';

/** Reads a /proc file, or a CliError naming it. */
function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      cause: e,
    });
  }
}

/**
 * The `key:\tvalue` lines of `/proc/self/fdinfo/<fd>`: for BPF objects the kernel lists
 * `memlock`, `frozen` (maps), `prog_jited` (programs) and more there.
 */
export function fdInfo(fd: number): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const line of readProc(`/proc/self/fdinfo/${fd}`).split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

/** A numeric fdinfo field, or a CliError when this kernel does not list it. */
export function fdInfoNumber(info: ReadonlyMap<string, string>, key: string, subject: string): number {
  const text = info.get(key);
  const n = text === undefined ? Number.NaN : Number(text);
  if (!Number.isFinite(n))
    throw new CliError(`${subject}: /proc/self/fdinfo has no number '${key}' (got ${text})`);
  return n;
}

/**
 * The wall-clock time of boot in milliseconds since the epoch: now minus `/proc/uptime` (the
 * boot-time clock, which counts suspended time as the program load times do), to 10 ms.
 */
export function bootTimeMs(): number {
  const uptime = Number(readProc('/proc/uptime').split(' ')[0]);
  if (!Number.isFinite(uptime)) throw new CliError('cannot read the uptime from /proc/uptime');
  return Date.now() - uptime * 1000;
}
