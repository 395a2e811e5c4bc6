import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
