import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf, SegmentType } from '@ts-ebpf/elf-reader';
import { BpfMapType, BpfProgType, close, mapCreate, mapLookupElem, mapUpdateElem } from '@ts-ebpf/syscall';
import { counterProgram, returns } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { type Link, Program } from '../src/index.js';

export { returns } from '@ts-ebpf/test-utils';

/** What {@link loadProgram} passes on to `Program.load` besides the type. */
export interface TrialLoad {
  readonly expectedAttachType?: number;
  readonly name?: string;
}

/**
 * Loads a trivial program of `type`: it returns 1 for netfilter and cgroup_skb (accept, pass:
 * attached to a real hook it lets traffic through) and 0 for every other type.
 */
export function loadProgram(type: number, extra: TrialLoad = {}): Program {
  const verdict = type === BpfProgType.NETFILTER || type === BpfProgType.CGROUP_SKB ? 1 : 0;
  return Program.load({ type, instructions: returns(verdict), ...extra });
}

/** Loads a program of `type` (see {@link loadProgram}), runs `fn` with it and closes it. */
export function withProgram<T>(type: number, fn: (p: Program) => T, extra: TrialLoad = {}): T {
  using p = loadProgram(type, extra);
  return fn(p);
}

/** Attaches and closes right away (reached only when the mistake is not caught). */
export const closeLink = (link: Link): void => link.close();

/** A one-slot u64 array map used as a counter. */
export class Counter implements Disposable {
  readonly fd = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });

  /** The counting program's code, returning `ret`. */
  code(ret = 0): Uint8Array {
    return counterProgram(this.fd, ret);
  }

  /** Loads the counting program (returning 0) as a program of `type`. */
  program(type: number, extra: TrialLoad = {}): Program {
    return Program.load({ type, instructions: this.code(), ...extra });
  }

  get value(): bigint {
    const v = new Uint8Array(8);
    mapLookupElem(this.fd, new Uint8Array(4), v);
    return new DataView(v.buffer).getBigUint64(0, true);
  }

  reset(): void {
    mapUpdateElem(this.fd, new Uint8Array(4), new Uint8Array(8));
  }

  [Symbol.dispose](): void {
    close(this.fd);
  }
}

/** Waits until `check()` is true (polling), or throws after `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The file offset where /bin/true's executable segment starts. */
export function textOffset(): number {
  const text = parseElf(readFileSync('/bin/true')).segments.find(
    (s) => s.type === SegmentType.LOAD && (s.flags & 1) !== 0,
  );
  if (!text) throw new Error('/bin/true has no executable segment');
  return Number(text.offset);
}

/**
 * A probe target built from C `source` with gcc -O1 in a fresh temporary directory before the
 * suite's tests (a vitest beforeAll of the calling suite), removed after them. `path` is the
 * binary's path once built.
 */
export function gccTarget(source: string, name: string): { readonly path: string } {
  const target = { path: '' };
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `ts-ebpf-${name}-`));
    target.path = join(dir, 'target');
    writeFileSync(`${target.path}.c`, source);
    execFileSync('gcc', ['-O1', '-o', target.path, `${target.path}.c`]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return target;
}
