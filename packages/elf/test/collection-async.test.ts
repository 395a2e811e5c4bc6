import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifierError } from '@ts-ebpf/programs';
import {
  BpfArgumentError,
  BpfProgType,
  progInfo,
  startHelperThreads,
  stopHelperThreads,
} from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Collection,
  CollectionVerifierError,
  loadCollection,
  loadCollectionAsync,
} from '../src/index.js';

const PROGRAMS = 16;
let dir: string;

/**
 * An object of PROGRAMS XDP programs sharing a hash map, a `.rodata` constant (so every program
 * is bound to its map) and a `.bss` counter; `prog_<p>` returns p % 3. The programs named in
 * `rejected` read a map value without testing it against NULL, which the verifier refuses.
 */
function object(name: string, rejected: readonly number[] = []): Uint8Array {
  const lines = [
    '#include <linux/bpf.h>',
    '#include <bpf/bpf_helpers.h>',
    'char LICENSE[] SEC("license") = "GPL";',
    'struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");',
    'const volatile __u32 step = 1;',
    '__u64 runs = 0;',
  ];
  for (let p = 0; p < PROGRAMS; p++) {
    const body = rejected.includes(p)
      ? '__u64 *v = bpf_map_lookup_elem(&counts, &k); return *v ? 0 : 1;'
      : '__u64 *v = bpf_map_lookup_elem(&counts, &k); if (v) *v += step;';
    lines.push(
      `SEC("xdp") int prog_${p}(struct xdp_md *ctx) { __u32 k = ${p % 8}; ${body} __sync_fetch_and_add(&runs, step); return ${p % 3}; }`,
    );
  }
  const src = join(dir, `${name}.bpf.c`);
  const out = join(dir, `${name}.bpf.o`);
  writeFileSync(src, lines.join('\n'));
  compileBpfC(src, out);
  return readFileSync(out);
}

let good: Uint8Array;
let twoRejected: Uint8Array;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-elf-async-'));
  good = object('good');
  twoRejected = object('rejected', [6, 12]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterAll(() => stopHelperThreads());

/** `c` holds the programs of `good` in declaration order, as `sync` (loaded one by one) holds them. */
function expectSameAs(c: Collection, sync: Collection): void {
  expect([...c.programs.keys()]).toEqual([...sync.programs.keys()]);
  expect([...c.programs.keys()]).toEqual(Array.from({ length: PROGRAMS }, (_, p) => `prog_${p}`));
  for (const [name, program] of c.programs) {
    const p = Number(name.slice('prog_'.length));
    expect(program.type).toBe(BpfProgType.XDP);
    const info = progInfo(program.fd);
    expect(info.name).toBe(name);
    // bound to .rodata as loadCollection binds them, beside the hash map and .bss they use
    expect(info.mapIds.length).toBe(progInfo(sync.program(name).fd).mapIds.length);
    expect(info.mapIds.length).toBe(3);
    expect(program.testRun({ data: new Uint8Array(64) }).retval).toBe(p % 3);
  }
  expect(c.variable('runs').getBigInt()).toBe(BigInt(PROGRAMS));
}

/**
 * Starts, and waits for, every helper thread a load in this file may use (at most PROGRAMS):
 * before a descriptor snapshot, as each Node thread holds descriptors of its own that the leak
 * check would count. A batch does not wait for the helpers it starts, so an earlier test's (16
 * helpers for concurrency 16) may still be starting when a later test looks: waiting for only as
 * many as the next load uses left one coming up during a snapshot on a busy machine.
 */
const everyHelperUp = () => startHelperThreads(PROGRAMS + 1);

/** What `load` throws for `twoRejected`, checked against what the sequential load throws. */
async function expectSameRejection(load: () => Promise<Collection> | Collection): Promise<void> {
  const before = openFds();
  let syncError: unknown;
  try {
    loadCollection(twoRejected);
  } catch (e) {
    syncError = e;
  }
  expect(syncError).toBeInstanceOf(CollectionVerifierError);
  let error: unknown;
  try {
    await load();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CollectionVerifierError);
  expect(error).toBeInstanceOf(VerifierError);
  // the first rejected program in declaration order, as the sequential load reports it
  expect((error as CollectionVerifierError).programName).toBe('prog_6');
  expect((error as Error).message).toBe((syncError as Error).message);
  expect((error as Error).cause).toBeInstanceOf(VerifierError);
  expect(leakedFds(before)).toEqual([]);
}

describeKernel('loadCollectionAsync', () => {
  it.each([1, 4, PROGRAMS])(
    'loads every program in declaration order, as loadCollection does (concurrency %i)',
    async (concurrency) => {
      using sync = loadCollection(good);
      using c = await loadCollectionAsync(good, { concurrency });
      expectSameAs(c, sync);
    },
  );

  it.each([1, 3, PROGRAMS])(
    'a verifier rejection in the middle throws what loadCollection throws and leaves no fd open (concurrency %i)',
    async (concurrency) => {
      await everyHelperUp();
      await expectSameRejection(() => loadCollectionAsync(twoRejected, { concurrency }));
    },
  );

  it('loads only options.programs, and with a verifier log when options.logLevel asks for one', async () => {
    using c = await loadCollectionAsync(twoRejected, {
      programs: ['prog_0', 'prog_5', 'prog_7'],
      logLevel: 1,
      concurrency: 2,
    });
    expect([...c.programs.keys()]).toEqual(['prog_0', 'prog_5', 'prog_7']);
    for (const program of c.programs.values()) expect(program.verifierLog).toMatch(/processed \d+ insns/);
  });

  it('many concurrent collections at once: each complete, none leaking', async () => {
    await everyHelperUp();
    const before = openFds();
    const all = await Promise.all(
      Array.from({ length: 4 }, () => loadCollectionAsync(good, { concurrency: 3 })),
    );
    for (const c of all) {
      expect(c.programs.size).toBe(PROGRAMS);
      c.close();
      c.close();
    }
    expect(leakedFds(before)).toEqual([]);
  });
});

describeKernel('loadCollection with threads', () => {
  it.each([2, 3])('loads every program in declaration order, as one thread does (threads %i)', (threads) => {
    using sync = loadCollection(good);
    using c = loadCollection(good, { threads });
    expectSameAs(c, sync);
  });

  it.each([2, PROGRAMS])(
    'a verifier rejection in the middle throws what one thread throws and leaves no fd open (threads %i)',
    async (threads) => {
      await everyHelperUp();
      await expectSameRejection(() => loadCollection(twoRejected, { threads }));
    },
  );

  it('refuses a bad thread count before creating anything, and threads in loadCollectionAsync', async () => {
    const before = openFds();
    for (const threads of [0, 65, 2.5]) {
      expect(() => loadCollection(good, { threads })).toThrow(BpfArgumentError);
      expect(() => loadCollection(good, { threads })).toThrow(/threads/);
    }
    await expect(loadCollectionAsync(good, { threads: 2 })).rejects.toThrow(/options\.concurrency/);
    expect(leakedFds(before)).toEqual([]);
  });
});
