import { fileURLToPath } from 'node:url';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { expectedOutput, isRunnable, runSnippet } from './run-snippet.js';
import { snippets } from './snippets.js';
import { allTutorialBlocks, outputMismatch, runExample } from './tutorials.js';

// The getpid() counters of the README and the tutorials count the main thread's calls. Node.js
// has other threads, and some of them call getpid() too (tsx's module loader does): these runs
// add a thread that calls it all the time, so a counter that counted the whole process, not
// the thread, would print far more than its documented output.
const BUSY_THREAD = fileURLToPath(new URL('./getpid-thread.mjs', import.meta.url));

/**
 * The examples whose tutorial output counts the main thread's getpid() calls. Not
 * examples/tutorial-macros.ts: its second part loads tutorial 4's C program, whose `total` counts
 * every thread of the process (`target_tgid`) by design, so a busy thread adds to it.
 */
const COUNTING_EXAMPLES = ['examples/count-getpid.ts', 'examples/tutorial-ringbuf.ts'];

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
});
