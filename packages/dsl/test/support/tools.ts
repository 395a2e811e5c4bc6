import { execFileSync } from 'node:child_process';

/** Runs a tool and returns stdout; stderr is returned too so callers can assert it is empty. */
export function run(cmd: string, args: string[], input?: string): { stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(cmd, args, {
      input,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return { stdout, stderr: '' };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
  }
}

/** Hex string of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * Encodings printed by `llvm-mc -show-encoding`, one hex string per instruction, in order.
 * `triple` `bpfeb` gives big-endian encodings.
 */
export function llvmEncodings(text: string, triple = 'bpf'): { encodings: string[]; stderr: string } {
  const { stdout, stderr } = run('llvm-mc-19', ['-triple', triple, '-mcpu=v4', '-show-encoding'], text);
  const encodings: string[] = [];
  for (const m of stdout.matchAll(/# encoding: \[([^\]]*)\]/g)) {
    encodings.push(
      m[1]!
        .split(',')
        .map((b) => b.trim().replace(/^0x/, ''))
        .join(''),
    );
  }
  return { encodings, stderr };
}
