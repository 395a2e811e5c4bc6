import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as layouts from '../src/layouts.js';

/** How each layout's fields are named inside `union bpf_attr`. */
const MEMBER: Record<string, (field: string) => string> = {
  MAP_CREATE: (f) => f,
  MAP_ELEM: (f) => f,
  MAP_BATCH: (f) => `batch.${f}`,
  PROG_LOAD: (f) => f,
  OBJ: (f) => f,
  PROG_ATTACH: (f) => f,
  PROG_TEST_RUN: (f) => `test.${f}`,
  GET_ID: (f) => f,
  OBJ_INFO: (f) => `info.${f}`,
  PROG_QUERY: (f) => `query.${f}`,
  RAW_TRACEPOINT: (f) => `raw_tracepoint.${f}`,
  BTF_LOAD: (f) => f,
  LINK_CREATE: (f) =>
    `link_create.${f
      .replace(/^perf_event_/, 'perf_event.')
      .replace(/^kprobe_multi_/, 'kprobe_multi.')
      .replace(/^tracing_/, 'tracing.')}`,
  LINK_UPDATE: (f) => `link_update.${f}`,
};

type Layout = Record<string, number>;

function cOffsets(): Map<string, number> {
  const checks: string[] = [];
  for (const [name, member] of Object.entries(MEMBER)) {
    const layout = (layouts as unknown as Record<string, Layout>)[name]!;
    const newer = layouts.NEWER_FIELDS[name] ?? [];
    for (const field of Object.keys(layout)) {
      if (field === 'SIZE' || newer.includes(field)) continue;
      checks.push(`printf("${name}.${field} %zu\\n", offsetof(union bpf_attr, ${member(field)}));`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-layout-'));
  const src = join(dir, 'layout.c');
  writeFileSync(
    src,
    `#include <stdio.h>\n#include <stddef.h>\n#include <linux/bpf.h>\nint main(void){\n${checks.join('\n')}\nreturn 0;}\n`,
  );
  execFileSync('gcc', ['-o', join(dir, 'layout'), src]);
  const out = new Map<string, number>();
  for (const line of execFileSync(join(dir, 'layout'), { encoding: 'utf8' }).trim().split('\n')) {
    const [key, value] = line.split(' ') as [string, string];
    out.set(key, Number(value));
  }
  return out;
}

describe('bpf_attr layouts', () => {
  const c = cOffsets();

  it('match offsetof() from the installed linux/bpf.h for every field it has', () => {
    expect(c.size).toBeGreaterThan(100);
    for (const [key, offset] of c) {
      const [name, field] = key.split('.') as [string, string];
      const ours = (layouts as unknown as Record<string, Layout>)[name]![field];
      expect([key, ours]).toEqual([key, offset]);
    }
  });

  it('newer fields follow the last field the installed header has, in order', () => {
    for (const [name, fields] of Object.entries(layouts.NEWER_FIELDS)) {
      // TOKEN_CREATE is newer as a whole (6.9): the token tests create tokens through it
      if (name === 'TOKEN_CREATE') continue;
      const layout = (layouts as unknown as Record<string, Layout>)[name]!;
      for (const f of fields) expect(layout[f], `${name}.${f}`).toBeGreaterThanOrEqual(16);
    }
    expect(layouts.PROG_LOAD.log_true_size).toBe(layouts.PROG_LOAD.core_relo_rec_size + 4);
    expect(layouts.BTF_LOAD.btf_log_true_size).toBe(layouts.BTF_LOAD.btf_log_level + 4);
    expect(layouts.PROG_ATTACH.relative_fd).toBe(layouts.PROG_ATTACH.replace_bpf_fd + 4);
  });
});
