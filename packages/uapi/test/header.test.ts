import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readUapiData } from '../scripts/uapi-data.js';

const HEADER = '/usr/include/linux/bpf.h';
const header = `${readFileSync(HEADER, 'utf8')}\n${readFileSync('/usr/include/linux/bpf_common.h', 'utf8')}`;
const data = readUapiData();

/** Values of `names` as this machine's C compiler sees them through linux/bpf.h. */
function compiled(names: readonly string[]): Map<string, bigint> {
  const dir = mkdtempSync(join(tmpdir(), 'uapi-header-'));
  try {
    const src = join(dir, 'c.c');
    const prints = names.map((n) => `printf("%s %lld\\n", "${n}", (long long)(${n}));`).join('\n');
    writeFileSync(
      src,
      `#include <stdio.h>\n#include <linux/bpf.h>\nint main(void){\n${prints}\nreturn 0;}\n`,
    );
    execFileSync('gcc', ['-o', join(dir, 'c'), src]);
    const out = execFileSync(join(dir, 'c'), { encoding: 'utf8' });
    return new Map(
      out
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string])
        .map(([n, v]) => [n, BigInt(v)]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts that end an enum and grow when a kernel adds members: the header's older value differs. */
const GROWING = new Set(['BPF_TCP_MAX_STATES']);

const declared = (name: string) => !GROWING.has(name) && new RegExp(`\\b${name}\\b`).test(header);

describe(`data/bpf-uapi.json against this machine's ${HEADER}`, () => {
  it('every define and enum member the installed header has carries the header value', () => {
    const facts = new Map<string, number>([
      // Defines of other headers (pkt_cls.h, in.h …; test/sk-buff.test.ts compiles them) may be named in
      // bpf.h's comments: only those recorded from bpf.h or bpf_common.h are checked here.
      ...data.defines
        .filter(([, , source]) => source.startsWith('linux/bpf'))
        .map(([n, v]) => [n, v] as const),
      ...data.enums.flatMap((e) => [...e.members, ...e.newer.map(([n, v]) => [n, v] as const)]),
    ]);
    const names = [...facts.keys()].filter(declared);
    // The installed header is older than the data (6.1 here), and names helpers through an X-macro:
    // its facts are a subset, still more than 400 names.
    expect(names.length).toBeGreaterThan(400);
    const values = compiled(names);
    const wrong = names.filter((n) => values.get(n) !== BigInt(facts.get(n)!));
    expect(wrong.map((n) => `${n}: data ${facts.get(n)}, header ${values.get(n)}`)).toEqual([]);
  });

  it('helper signatures agree with the doc comments of the installed header', () => {
    const lines = header.split('\n');
    const documented = new Map<string, string>();
    for (let i = 0; i < lines.length - 1; i++) {
      const m = /^ \* (.*?\bbpf_(\w+)\(.*\))\s*$/.exec(lines[i]!);
      if (m && /^ \*\s+Description/.test(lines[i + 1]!)) documented.set(m[2]!, m[1]!.replace(/\s+/g, ' '));
    }
    expect(documented.size).toBeGreaterThan(200);
    const mismatched: string[] = [];
    for (const h of data.helpers) {
      const doc = documented.get(h.name);
      if (doc === undefined) continue;
      const args = h.args.length === 0 ? 'void' : h.args.map((a) => `${a.type} ${a.name}`.trim()).join(', ');
      const ours = `${h.returns} bpf_${h.name}(${args})`.replace(/\* /g, '*').replace(/\s+/g, ' ');
      const theirs = doc.replace(/\* /g, '*').replace(/\s+/g, ' ');
      if (ours !== theirs) mismatched.push(`${h.name}: data '${ours}', header '${theirs}'`);
    }
    expect(mismatched).toEqual([]);
  });
});
