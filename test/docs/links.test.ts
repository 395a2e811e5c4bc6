import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { anchors, type DocLink, docFiles, links, REPO_ROOT, readDoc } from './markdown.js';

const files = docFiles();
const all = files.flatMap((file) => links(file, readDoc(file)));
const external = all.filter((l) => /^[a-z][a-z0-9+.-]*:/i.test(l.target));
const internal = all.filter((l) => !external.includes(l));

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  const known = anchorCache.get(file);
  if (known) return known;
  const set = anchors(readDoc(file));
  anchorCache.set(file, set);
  return set;
}

/** Why a relative link does not resolve, or undefined when it does. */
function brokenReason(link: DocLink): string | undefined {
  const [pathPart, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const path = decodeURIComponent(pathPart);
  const target = path === '' ? link.file : relative(REPO_ROOT, join(REPO_ROOT, dirname(link.file), path));
  if (target.startsWith('..')) return 'leaves the repository';
  const absolute = join(REPO_ROOT, target);
  if (!existsSync(absolute)) return `${target} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(absolute).isDirectory() || !target.endsWith('.md'))
    return `#${anchor} on a file that is not Markdown`;
  return anchorsOf(target).has(anchor) ? undefined : `${target} has no heading #${anchor}`;
}

describe('links of the documentation', () => {
  it('finds links', () => {
    expect(internal.length).toBeGreaterThan(10);
  });

  it('lists the external links (not fetched)', () => {
    const targets = [...new Set(external.map((l) => l.target))].sort();
    console.info(`${targets.length} external link(s), not fetched:\n${targets.join('\n')}`);
    expect(
      external
        .filter((l) => !/^(https?|mailto):/.test(l.target))
        .map((l) => `${l.file}:${l.line} ${l.target}`),
    ).toEqual([]);
  });

  it.each(files)('%s: every relative link and #anchor resolves', (file) => {
    const broken = internal
      .filter((l) => l.file === file)
      .map((l) => [l, brokenReason(l)] as const)
      .filter(([, reason]) => reason !== undefined)
      .map(([l, reason]) => `${l.file}:${l.line} ${l.target}: ${reason}`);
    expect(broken).toEqual([]);
  });
});

describe('the guides index', () => {
  it('docs/guides/README.md links every guide', () => {
    const linked = new Set(
      internal.filter((l) => l.file === 'docs/guides/README.md').map((l) => l.target.split('#')[0]),
    );
    const guides = readdirSync(join(REPO_ROOT, 'docs/guides')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    );
    expect(guides.filter((g) => !linked.has(g))).toEqual([]);
  });
});
