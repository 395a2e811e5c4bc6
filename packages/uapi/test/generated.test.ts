import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../scripts/generate.js';
import { readUapiData, type UapiData } from '../scripts/uapi-data.js';

const GENERATED = new URL('../src/generated/', import.meta.url).pathname;

describe('src/generated', () => {
  it('is exactly what scripts/generate.ts writes from data/bpf-uapi.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uapi-gen-'));
    try {
      const tsx = new URL('../../../node_modules/.bin/tsx', import.meta.url).pathname;
      const script = new URL('../scripts/generate.ts', import.meta.url).pathname;
      execFileSync(tsx, [script, '--out', dir], { stdio: 'pipe' });
      const fresh = readdirSync(dir).sort();
      expect(readdirSync(GENERATED).sort()).toEqual(fresh);
      for (const name of fresh) {
        expect(readFileSync(join(GENERATED, name), 'utf8'), name).toBe(readFileSync(join(dir, name), 'utf8'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses data the groups do not account for, naming it', () => {
    const data = readUapiData();
    const withDefine: UapiData = { ...data, defines: [...data.defines, ['BPF_F_MADE_UP', 1, 'test']] };
    expect(() => generate(withDefine)).toThrow(/defines of data\/bpf-uapi.json in no group: BPF_F_MADE_UP/);
    const withoutMap: UapiData = { ...data, enums: data.enums.filter((e) => e.name !== 'bpf_map_type') };
    expect(() => generate(withoutMap)).toThrow(/no enum bpf_map_type/);
  });

  it('refuses a helper signature whose id disagrees with enum bpf_func_id', () => {
    const data = readUapiData();
    const helpers = data.helpers.map((h) => (h.name === 'ktime_get_ns' ? { ...h, id: 6 } : h));
    expect(() => generate({ ...data, helpers })).toThrow(
      /helper ktime_get_ns: signature id 6, enum bpf_func_id says 5/,
    );
    const missing = data.helpers.filter((h) => h.name !== 'tail_call');
    expect(() => generate({ ...data, helpers: missing })).toThrow(
      /helpers without a signature: BPF_FUNC_tail_call/,
    );
  });

  it('refuses an errno listed twice', () => {
    const data = readUapiData();
    expect(() => generate({ ...data, errno: [...data.errno, [1, 'EAGAIN_TWICE']] })).toThrow(
      /errno 1 is listed twice/,
    );
  });
});
