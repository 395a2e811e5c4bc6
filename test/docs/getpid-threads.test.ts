import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadCollection } from '@ts-ebpf/elf';
import { BpfMap, u32, u64 } from '@ts-ebpf/maps';
import { dupFd, ensureTracefs, getpid } from '@ts-ebpf/syscall';
import { compileBpfC, describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { codeBlocks, REPO_ROOT, readDoc } from './markdown.js';
import { expectedOutput, isRunnable, runSnippet } from './run-snippet.js';
import { snippets } from './snippets.js';
import { allTutorialBlocks, outputMismatch, runExample } from './tutorials.js';

// The getpid() counters of the README, the tutorials and the elf guide count the main thread's
// calls. Node.js has other threads, and some of them call getpid() too (tsx's module loader
// does): these runs add a thread that calls it all the time, so a counter that counted the whole
// process, not the thread, would print far more than its documented output.
const BUSY_THREAD = fileURLToPath(new URL('./getpid-thread.mjs', import.meta.url));

/**
 * The examples whose tutorial output counts the main thread's getpid() calls. Not
 * examples/tutorial-macros.ts, though its second part loads the same C program as
 * tutorial-clang.ts: it compiles that program to a fixed path beside its generated bindings and
 * deletes it afterwards, and tutorials.test.ts runs it at the same time as this file.
 */
const COUNTING_EXAMPLES = [
  'examples/count-getpid.ts',
  'examples/tutorial-ringbuf.ts',
  'examples/tutorial-clang.ts',
];

/** The elf guide's first section: a C counter and the TypeScript that loads its object, `count.bpf.o`. */
const ELF_GUIDE = 'docs/guides/elf.md';

describeKernel('getpid() counters with another thread calling getpid() meanwhile', () => {
  it('the README\'s "A taste" prints the main thread\'s 10 calls', async () => {
    const taste = snippets(['README.md']).filter((s) => isRunnable(s) && s.code.includes('sys_enter_getpid'));
    expect(taste).toHaveLength(1);
    const snippet = taste[0]!;
    expect(expectedOutput(snippet.code)).toEqual(['the main thread called getpid() 10 times']);
    expect(await runSnippet(snippet, [BUSY_THREAD])).toEqual(expectedOutput(snippet.code));
  }, 120_000);

  const { outputs } = allTutorialBlocks();
  it.each(COUNTING_EXAMPLES)(
    '%s prints what its tutorial shows',
    async (example) => {
      const shown = outputs.filter((o) => o.example === example);
      expect(shown).toHaveLength(1);
      expect(outputMismatch(shown[0]!.expected, await runExample(example, [BUSY_THREAD]))).toBeUndefined();
    },
    120_000,
  );

  it(`${ELF_GUIDE}: count.bpf.o, compiled from the guide's C, counts the main thread's one call`, async () => {
    const c = codeBlocks(ELF_GUIDE, readDoc(ELF_GUIDE)).filter(
      (b) => b.lang === 'c' && b.code.includes('wanted_tid'),
    );
    expect(c).toHaveLength(1);
    const snippet = snippets([ELF_GUIDE]).find((s) => s.line > c[0]!.line); // the TypeScript right after it
    expect(snippet?.code).toContain("readFileSync('count.bpf.o')");
    if (!snippet) return;
    expect(expectedOutput(snippet.code)).toEqual(['1n']);
    // Inside the repository (test/docs/.run-*, ignored by git), so that the run resolves tsx.
    const dir = mkdtempSync(join(REPO_ROOT, 'test', 'docs', '.run-elf-'));
    try {
      const source = join(dir, 'count.bpf.c');
      writeFileSync(source, c[0]!.code);
      compileBpfC(source, join(dir, 'count.bpf.o'));
      expect(await runSnippet(snippet, [BUSY_THREAD], dir)).toEqual(expectedOutput(snippet.code));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** Calls getpid() `n` times on a new worker thread; resolves once that thread has exited. */
function getpidOnAnotherThread(n: number): Promise<void> {
  const worker = new Worker(
    `const { workerData: { n, koffi } } = require('node:worker_threads');
const getpid = require(koffi).load('libc.so.6').func('int getpid()');
for (let i = 0; i < n; i++) getpid();`,
    { eval: true, workerData: { n, koffi: createRequire(import.meta.url).resolve('koffi') } },
  );
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`getpid() thread exited ${code}`)),
    );
  });
}

/** Compiles the C `source` (a path) and returns the object's bytes. */
function compiled(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'getpid-threads-'));
  try {
    compileBpfC(source, join(dir, 'counter.bpf.o'));
    return readFileSync(join(dir, 'counter.bpf.o'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The runs above catch a whole-process count only when the busy thread happens to call getpid()
// inside the counting window (microseconds). Here every one of another thread's calls falls while
// the counter is attached: a counter that counted the process, not the thread, fails every time.
describeKernel(
  "the counters' C programs, with all of another thread's getpid() calls made while attached",
  () => {
    const OTHER_CALLS = 1000;

    it('examples/bpf/getpid-counter.bpf.c (tutorial 4) counts only target_tid', async () => {
      ensureTracefs();
      const object = compiled(join(REPO_ROOT, 'examples', 'bpf', 'getpid-counter.bpf.c'));
      using collection = loadCollection(object, { constants: { target_tid: process.pid } });
      using calls = BpfMap.fromFd(dupFd(collection.map('calls').fd), { key: u32, value: u64 });
      collection.attach();
      await getpidOnAnotherThread(OTHER_CALLS);
      for (let i = 0; i < 5; i++) getpid();
      expect([...calls.keys()]).toEqual([process.pid]);
      const mine = calls.get(process.pid)!;
      expect(mine).toBeGreaterThanOrEqual(5n);
      expect(mine).toBeLessThan(BigInt(OTHER_CALLS));
      expect(collection.variable('total').getBigInt()).toBe(mine);
    }, 60_000);

    it(`${ELF_GUIDE}'s count.bpf.c counts only wanted_tid`, async () => {
      ensureTracefs();
      const c = codeBlocks(ELF_GUIDE, readDoc(ELF_GUIDE)).filter(
        (b) => b.lang === 'c' && b.code.includes('wanted_tid'),
      );
      expect(c).toHaveLength(1);
      const dir = mkdtempSync(join(tmpdir(), 'getpid-threads-guide-'));
      let object: Uint8Array;
      try {
        writeFileSync(join(dir, 'count.bpf.c'), c[0]!.code);
        object = compiled(join(dir, 'count.bpf.c'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      using collection = loadCollection(object, { constants: { wanted_tid: process.pid } });
      using counts = BpfMap.fromFd(dupFd(collection.map('counts').fd), { key: u32, value: u64 });
      collection.attach();
      await getpidOnAnotherThread(OTHER_CALLS);
      for (let i = 0; i < 5; i++) getpid();
      const mine = counts.get(0)!;
      expect(mine).toBeGreaterThanOrEqual(5n);
      expect(mine).toBeLessThan(BigInt(OTHER_CALLS));
    }, 60_000);
  },
);
