import { describe, expect, it } from 'vitest';
import { docFiles, readDoc } from './markdown.js';
import { exampleSource, TUTORIALS_DIR, tutorialBlocks } from './tutorials.js';

// A guide may show an example file as the tutorials do (`<!-- example: path -->` right above the
// block): the block must be the file, so that the two cannot drift apart.
const shown = docFiles()
  .filter((f) => !f.startsWith(`${TUTORIALS_DIR}/`))
  .flatMap((f) => tutorialBlocks(f, readDoc(f)).examples);

describe('example files shown outside the tutorials', () => {
  it('are found (docs/guides/cgroup.md shows one)', () => {
    expect(shown.map((e) => e.tutorial)).toContain('docs/guides/cgroup.md');
  });

  it.each(shown.map((e) => [`${e.tutorial}:${e.line} = ${e.example}`, e] as const))('%s', (_name, e) => {
    expect(e.block.code).toBe(exampleSource(e.example, e.region));
  });
});
