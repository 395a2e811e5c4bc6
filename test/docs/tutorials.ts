import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { type CodeBlock, codeBlocks, REPO_ROOT, readDoc } from './markdown.js';
import { importArgs } from './run-snippet.js';

const run = promisify(execFile);

/** Where the tutorials live, relative to the repository root. */
export const TUTORIALS_DIR = 'docs/tutorials';

/** `<!-- example: examples/x.ts -->` or `<!-- example: examples/x.ts#region -->` right above a fence (```ts, ```c …). */
const EXAMPLE = /^\s*<!--\s*example:\s*(\S+?)(?:#([\w-]+))?\s*-->\s*$/;
/** `<!-- output: examples/x.ts -->` right above a ```text fence. */
const OUTPUT = /^\s*<!--\s*output:\s*(\S+?)\s*-->\s*$/;

/** In an expected output line, `…` stands for any text (numbers, pids, fd numbers …). */
export const ANY_TEXT = '…';
/** An expected output line that is only `⋮` stands for any number of lines, none included. */
export const ANY_LINES = '⋮';

/** A code block a tutorial says is an example file (or a marked region of one). */
export interface ExampleBlock {
  readonly tutorial: string;
  /** 1-based line of the fence. */
  readonly line: number;
  /** The example file, relative to the repository root. */
  readonly example: string;
  /** The `// #region name` … `// #endregion name` of the file the block shows, if only a part. */
  readonly region: string | undefined;
  readonly block: CodeBlock;
}

/** An output block a tutorial says an example prints. */
export interface OutputBlock {
  readonly tutorial: string;
  readonly line: number;
  readonly example: string;
  readonly expected: readonly string[];
}

/** The tutorial pages: every Markdown file of docs/tutorials but its README, in order. */
export function tutorialFiles(): string[] {
  return readdirSync(join(REPO_ROOT, TUTORIALS_DIR))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .sort()
    .map((f) => `${TUTORIALS_DIR}/${f}`);
}

/** The example and output blocks of a tutorial's text. A marker not right above a fence is an error. */
export function tutorialBlocks(
  tutorial: string,
  text: string,
): { examples: ExampleBlock[]; outputs: OutputBlock[] } {
  const lines = text.split('\n');
  const blocks = new Map(codeBlocks(tutorial, text).map((b) => [b.line, b]));
  const examples: ExampleBlock[] = [];
  const outputs: OutputBlock[] = [];
  lines.forEach((line, i) => {
    const example = EXAMPLE.exec(line);
    const output = OUTPUT.exec(line);
    if (!example && !output) return;
    const block = blocks.get(i + 2);
    const where = `${tutorial}:${i + 1}`;
    if (example) {
      if (!block) throw new Error(`${where}: an example marker must be right above a code block`);
      examples.push({ tutorial, line: i + 2, example: example[1]!, region: example[2], block });
    } else {
      if (block?.lang !== 'text')
        throw new Error(`${where}: an output marker must be right above a \`\`\`text block`);
      const expected = block.code.split('\n').filter((l) => l !== '');
      outputs.push({ tutorial, line: i + 2, example: output![1]!, expected });
    }
  });
  return { examples, outputs };
}

/** The text a block marked with `example` must equal: the file, or its region (markers excluded). */
export function exampleSource(example: string, region?: string): string {
  const text = readFileSync(join(REPO_ROOT, example), 'utf8').replace(/\n$/, '');
  if (region === undefined) return text;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === `// #endregion ${region}`);
  if (start < 0 || end < 0) throw new Error(`${example} has no region '${region}'`);
  return lines.slice(start + 1, end).join('\n');
}

function lineMatches(expected: string, actual: string): boolean {
  if (!expected.includes(ANY_TEXT)) return expected === actual;
  const escaped = expected.split(ANY_TEXT).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.+?')}$`, 's').test(actual);
}

/**
 * Compares printed lines with a tutorial's output block: line by line, `…` standing for any
 * text within a line, a `⋮` line for any run of lines. Returns undefined when they match,
 * else a description of the first difference.
 */
export function outputMismatch(expected: readonly string[], actual: readonly string[]): string | undefined {
  const match = (e: number, a: number): boolean => {
    if (e === expected.length) return a === actual.length;
    if (expected[e] === ANY_LINES) {
      for (let skip = a; skip <= actual.length; skip++) if (match(e + 1, skip)) return true;
      return false;
    }
    return a < actual.length && lineMatches(expected[e]!, actual[a]!) && match(e + 1, a + 1);
  };
  if (match(0, 0)) return undefined;
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    if (expected[i] === ANY_LINES) break;
    if (expected[i] === undefined || actual[i] === undefined || !lineMatches(expected[i]!, actual[i]!))
      return `line ${i + 1}: expected ${JSON.stringify(expected[i] ?? '(end)')}, printed ${JSON.stringify(actual[i] ?? '(end)')}`;
  }
  return `expected:\n${expected.join('\n')}\nprinted:\n${actual.join('\n')}`;
}

/**
 * Runs an example the way `npm run examples` does (tsx, the source condition); its stdout lines.
 * `preload`: modules imported first (`node --import`), by path.
 */
export async function runExample(example: string, preload: readonly string[] = []): Promise<string[]> {
  const { stdout } = await run(
    process.execPath,
    [...importArgs(preload), '--import', 'tsx', '--conditions=@ts-ebpf/source', join(REPO_ROOT, example)],
    { cwd: REPO_ROOT, timeout: 120_000 },
  );
  return stdout.split('\n').filter((line) => line !== '');
}

/** Every tutorial's blocks. */
export function allTutorialBlocks(): { examples: ExampleBlock[]; outputs: OutputBlock[] } {
  const parts = tutorialFiles().map((f) => tutorialBlocks(f, readDoc(f)));
  return { examples: parts.flatMap((p) => p.examples), outputs: parts.flatMap((p) => p.outputs) };
}

const IMPORT = /^(?:import|export)\s[^;]*?\bfrom\s+'([^']+)';/gms;
const NPM_INSTALL = /npm install((?: +[^\s`]+)+)/g;

/** The package an import specifier names (`@scope/name` or `name`), or undefined for a relative path or a `node:` module. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The packages an example imports, with those of the helper files it imports by relative path
 * (`./lib/veth.js` is `examples/lib/veth.ts`): what a reader must install to run it.
 */
export function importedPackages(example: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(example)) return packages;
  seen.add(example);
  for (const [, specifier] of readFileSync(join(REPO_ROOT, example), 'utf8').matchAll(IMPORT)) {
    const pkg = packageOf(specifier!);
    if (pkg !== undefined) packages.add(pkg);
    else if (specifier!.startsWith('.') && specifier!.endsWith('.js')) {
      const helper = relative(
        REPO_ROOT,
        join(REPO_ROOT, dirname(example), specifier!.replace(/\.js$/, '.ts')),
      );
      for (const p of importedPackages(helper, seen)) packages.add(p);
    }
  }
  return packages;
}

/** The packages the `npm install` commands of a Markdown text install (options left out). */
export function installedPackages(text: string): Set<string> {
  const packages = new Set<string>();
  for (const [, args] of text.matchAll(NPM_INSTALL))
    for (const arg of args!.trim().split(/ +/)) if (!arg.startsWith('-')) packages.add(arg);
  return packages;
}
