import { describe, expect, it } from 'vitest';
import { docFiles } from './markdown.js';
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

  let problems: SnippetProblem[] | undefined;
  const problemsOf = (file: string) => {
    problems ??= typecheck(checked);
    return problems.filter((p) => p.where === file || p.where.startsWith(`${file}:`));
  };

  it('reports no problem outside the snippets', () => {
    problems ??= typecheck(checked);
    const files = new Set(docFiles());
    expect(problems.filter((p) => !files.has(p.where.replace(/:\d+$/, '')))).toEqual([]);
  }, 300_000);

  const withSnippets = [...new Set(checked.map((s) => s.file))];
  it.each(withSnippets)('%s: every ts block compiles', (file) => {
    expect(problemsOf(file).map((p) => `${p.where}: ${p.message}`)).toEqual([]);
  });
});
