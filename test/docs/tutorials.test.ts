import { describeKernel } from '@ts-ebpf/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDoc } from './markdown.js';
import {
  allTutorialBlocks,
  exampleSource,
  importedPackages,
  installedPackages,
  outputMismatch,
  runExample,
  TUTORIALS_DIR,
  tutorialBlocks,
  tutorialFiles,
} from './tutorials.js';

const files = tutorialFiles();
const { examples, outputs } = allTutorialBlocks();

describe('tutorials', () => {
  it('are listed, in order, by docs/tutorials/README.md', () => {
    const index = readDoc(`${TUTORIALS_DIR}/README.md`);
    const linked = [...index.matchAll(/\]\((\d\d-[\w-]+\.md)\)/g)].map((m) => `${TUTORIALS_DIR}/${m[1]}`);
    expect(linked).toEqual(files);
  });

  it.each(files)('%s names its example and shows its output', (file) => {
    expect(examples.filter((e) => e.tutorial === file).length).toBeGreaterThan(0);
    expect(outputs.filter((o) => o.tutorial === file).length).toBeGreaterThan(0);
  });

  it.each(
    examples.map(
      (e) => [`${e.tutorial}:${e.line} = ${e.example}${e.region ? `#${e.region}` : ''}`, e] as const,
    ),
  )('%s', (_name, e) => {
    expect(e.block.code).toBe(exampleSource(e.example, e.region));
  });

  // A reader who follows the tutorials in a project of their own installs what each one says;
  // every package an example imports must have been named by then.
  it.each(files)(
    '%s installs, or an earlier tutorial installed, every package its examples import',
    (file) => {
      const installed = new Set(
        files.slice(0, files.indexOf(file) + 1).flatMap((f) => [...installedPackages(readDoc(f))]),
      );
      const imported = examples
        .filter((e) => e.tutorial === file)
        .flatMap((e) => [...importedPackages(e.example)]);
      expect(imported.filter((p) => !installed.has(p))).toEqual([]);
    },
  );

  it('the first makes the project an ES module (several examples use top-level await)', () => {
    expect(readDoc(files[0]!)).toContain('npm pkg set type=module');
  });

  it('every output block belongs to an example the tutorial shows', () => {
    for (const o of outputs)
      expect(
        examples.some((e) => e.tutorial === o.tutorial && e.example === o.example),
        `${o.tutorial}:${o.line}`,
      ).toBe(true);
  });
});

describe('the install checks', () => {
  it('read the packages of npm install commands, options left out', () => {
    expect([
      ...installedPackages('`npm install @a/b c` and\n```sh\nnpm install --save-dev d @e/f\n```'),
    ]).toEqual(['@a/b', 'c', 'd', '@e/f']);
  });
  it("follow an example's relative imports to its helpers' packages", () => {
    // tutorial-macros.ts imports @ts-ebpf/elf only through ./generated/getpid-counter.js
    const macros = importedPackages('examples/tutorial-macros.ts');
    expect(macros).toContain('@ts-ebpf/elf');
    expect(macros).toContain('@ts-ebpf/macros');
    expect([...macros].some((p) => p.startsWith('node:') || p.startsWith('.'))).toBe(false);
  });
});

describe('the output matcher', () => {
  it('takes … for any text within a line and ⋮ for any run of lines', () => {
    expect(outputMismatch(['pid …, ppid …'], ['pid 12, ppid 1'])).toBeUndefined();
    expect(outputMismatch(['a', '⋮', 'z'], ['a', 'b', 'c', 'z'])).toBeUndefined();
    expect(outputMismatch(['a', '⋮', 'z'], ['a', 'z'])).toBeUndefined();
  });
  it('fails on a changed, missing or extra line', () => {
    expect(outputMismatch(['count 10'], ['count 11'])).toMatch(
      /line 1: expected "count 10", printed "count 11"/,
    );
    expect(outputMismatch(['a', 'b'], ['a'])).toMatch(/line 2/);
    expect(outputMismatch(['a'], ['a', 'b'])).toMatch(/line 2/);
    expect(outputMismatch(['pid …'], ['pid '])).toBeDefined(); // … is at least one character
  });
  it('refuses a marker that is not right above its block', () => {
    expect(() => tutorialBlocks('t.md', '<!-- example: examples/x.ts -->\n\ntext\n')).toThrow(
      /right above a code block/,
    );
    expect(() => tutorialBlocks('t.md', '<!-- output: examples/x.ts -->\n```ts\nx\n```\n')).toThrow(
      /```text block/,
    );
  });
});

describeKernel('tutorial examples print what their tutorials show', () => {
  const toRun = [...new Set(outputs.map((o) => o.example))];
  const printed = new Map<string, string[] | Error>();
  // The examples run two at a time (each needs a few seconds of tsx start-up on a busy machine).
  beforeAll(async () => {
    const queue = [...toRun];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        printed.set(next, await runExample(next).catch((e: Error) => e));
      }
    };
    await Promise.all([worker(), worker()]);
  }, 600_000);

  it.each(outputs.map((o) => [`${o.tutorial}:${o.line} ← ${o.example}`, o] as const))('%s', (_name, o) => {
    const lines = printed.get(o.example);
    if (lines instanceof Error) throw lines;
    expect(outputMismatch(o.expected, lines!)).toBeUndefined();
  });
});
