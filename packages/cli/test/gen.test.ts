// `ts-ebpf gen` is @ts-ebpf/gen's command behind the CLI's dispatcher.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBpfC } from '@ts-ebpf/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-cli-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ts-ebpf gen', () => {
  it('writes typed bindings for a clang object to stdout', async () => {
    const source = join(dir, 'counts.bpf.c');
    writeFileSync(
      source,
      `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct hit { __u32 pid; __u64 count; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, struct hit); } hits SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_getpid") int on_getpid(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
`,
    );
    const object = join(dir, 'counts.bpf.o');
    compileBpfC(source, object);
    const r = await cli(['gen', object, '--name', 'Counts']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/export interface Hit \{/);
    expect(r.stdout).toMatch(/\bpid: number;/);
    expect(r.stdout).toMatch(/\bcount: bigint;/);
    expect(r.stdout).toContain('hits');
    expect(r.stdout).toContain('on_getpid');
  });

  it('--help is the gen usage; a missing object is a usage error (exit 2)', async () => {
    const help = await cli(['gen', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('gen');
    const missing = await cli(['gen', join(dir, 'absent.o')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('absent.o');
  });
});
