import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this file). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The language word of the info string (`ts`, `sh` …), lower-cased. */
  readonly lang: string;
  /** The rest of the info string after the language (e.g. `no-check: needs a BPF object`). */
  readonly meta: string;
  readonly code: string;
  /** The `<!-- snippet-context: … -->` comment right above the fence, if any. */
  readonly context: string;
}

/** A link of a Markdown file (inline, reference definition, or an HTML `href`/`src`). */
export interface DocLink {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.nx', 'api', 'coverage', 'bench-results']);

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (SKIPPED_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.md')) out.push(path);
  }
}

/**
 * The documentation of the repository: the root README, every Markdown file under `docs/`
 * (but the generated `docs/api`) and every package's README.md. Paths relative to the root.
 */
export function docFiles(): string[] {
  const out: string[] = [join(REPO_ROOT, 'README.md')];
  walk(join(REPO_ROOT, 'docs'), out);
  for (const pkg of readdirSync(join(REPO_ROOT, 'packages'))) {
    const readme = join(REPO_ROOT, 'packages', pkg, 'README.md');
    try {
      if (statSync(readme).isFile()) out.push(readme);
    } catch {
      // a package without a README has nothing to check here
    }
  }
  return out.map((p) => relative(REPO_ROOT, p)).sort();
}

/** The text of a documentation file (path relative to the repository root). */
export function readDoc(file: string): string {
  return readFileSync(join(REPO_ROOT, file), 'utf8');
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

/** Every fenced code block of a Markdown text, in order. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!);
      if (close && close[2]!.startsWith(fence) && close[3]!.trim() === '') break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    const words = info.trim();
    const space = words.search(/\s/);
    const lang = (space < 0 ? words : words.slice(0, space)).toLowerCase();
    const meta = space < 0 ? '' : words.slice(space).trim();
    const above = i > 0 ? /^\s*<!--\s*snippet-context:([\s\S]*?)-->\s*$/.exec(lines[i - 1]!) : null;
    blocks.push({ file, line: i + 1, lang, meta, code: body.join('\n'), context: above?.[1]?.trim() ?? '' });
    i = j;
  }
  return blocks;
}

/** The text with fenced blocks blanked, and inline code too unless `keepInlineCode` (line numbers kept). */
function prose(text: string, keepInlineCode: boolean): string {
  let fence: string | null = null;
  return text
    .split('\n')
    .map((line) => {
      const m = FENCE.exec(line);
      if (fence === null && m) {
        fence = m[2]!;
        return '';
      }
      if (fence !== null) {
        if (m && m[2]!.startsWith(fence) && m[3]!.trim() === '') fence = null;
        return '';
      }
      return keepInlineCode ? line : line.replace(/(`+)[^`]*?\1/g, (s) => ' '.repeat(s.length));
    })
    .join('\n');
}

/** Every link target of a Markdown text, outside code. */
export function links(file: string, text: string): DocLink[] {
  const out: DocLink[] = [];
  prose(text, false)
    .split('\n')
    .forEach((line, i) => {
      const add = (target: string) => out.push({ file, line: i + 1, target: target.trim() });
      for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) add(m[1]!);
      const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(line);
      if (def) add(def[1]!);
      for (const m of line.matchAll(/\b(?:href|src)="([^"]+)"/g)) add(m[1]!);
    });
  return out;
}

/**
 * The anchors of a Markdown text's headings, as GitHub (and typedoc) make them: lower case,
 * punctuation removed, spaces turned into hyphens, `-1`, `-2` … appended to repeats.
 */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text, true).split('\n')) {
    const m = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** GitHub's heading slug: lower case, markup and punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
