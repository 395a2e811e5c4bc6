import { describeKernel } from '@ts-ebpf/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { docFiles } from './markdown.js';
import { expectedOutput, isRunnable, runSnippet } from './run-snippet.js';
import { type SnippetProblem, snippets, typecheck } from './snippets.js';

const all = snippets();
const checked = all.filter((s) => s.optOut === undefined);
const optedOut = all.filter((s) => s.optOut !== undefined);

describe('TypeScript snippets of the documentation', () => {
  it('finds the snippets of every doc file', () => {
    expect(docFiles()).toContain('README.md');
    expect(checked.length).toBeGreaterThan(40);
  });

  it('lists every opt-out, each with its reason', () => {
    const list = optedOut.map((s) => `${s.file}:${s.line} — ${s.optOut}`);
    console.info(`${optedOut.length} snippet(s) opted out of the type check:\n${list.join('\n')}`);
    expect(optedOut.filter((s) => s.optOut!.length < 10).map((s) => `${s.file}:${s.line}`)).toEqual([]);
  });

  // One compiler run for every snippet (tens of seconds on a busy machine), before the checks.
  let problems: SnippetProblem[] = [];
  beforeAll(() => {
    problems = typecheck(checked);
  }, 600_000);
  const problemsOf = (file: string) =>
    problems.filter((p) => p.where === file || p.where.startsWith(`${file}:`));

  it('reports no problem outside the snippets', () => {
    const files = new Set(docFiles());
    expect(problems.filter((p) => !files.has(p.where.replace(/:\d+$/, '')))).toEqual([]);
  });

  const withSnippets = [...new Set(checked.map((s) => s.file))];
  it.each(withSnippets)('%s: every ts block compiles', (file) => {
    expect(problemsOf(file).map((p) => `${p.where}: ${p.message}`)).toEqual([]);
  });
});

describe('runnable snippets (```ts run) print what their // → comments say', () => {
  const runnable = checked.filter(isRunnable);

  it('has runnable snippets', () => {
    expect(runnable.length).toBeGreaterThan(10);
  });

  describeKernel('with the kernel', () => {
    it.each(runnable.map((s) => [`${s.file}:${s.line}`, s] as const))(
      '%s',
      async (_where, snippet) => {
        expect(await runSnippet(snippet)).toEqual(expectedOutput(snippet.code));
      },
      120_000,
    );
  });
});
