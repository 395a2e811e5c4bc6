import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as c from '../src/index.js';

describe('constants generated from linux/bpf.h', () => {
  it('agree with the C compiler for a sample of every kind', () => {
    const names = [
      'BPF_MAP_CREATE',
      'BPF_PROG_TEST_RUN',
      'BPF_LINK_CREATE',
      'BPF_MAP_TYPE_HASH',
      'BPF_MAP_TYPE_RINGBUF',
      'BPF_MAP_TYPE_USER_RINGBUF',
      'BPF_PROG_TYPE_XDP',
      'BPF_PROG_TYPE_SYSCALL',
      'BPF_CGROUP_INET_INGRESS',
      'BPF_TRACE_KPROBE_MULTI',
      'BPF_LINK_TYPE_KPROBE_MULTI',
      'BPF_FUNC_map_lookup_elem',
      'BPF_FUNC_user_ringbuf_drain',
      'XDP_REDIRECT',
      'BPF_F_NO_PREALLOC',
      'BPF_F_MMAPABLE',
      'BPF_F_SLEEPABLE',
      'BPF_F_XDP_HAS_FRAGS',
      'BPF_NOEXIST',
      'BPF_F_LOCK',
      'BPF_RINGBUF_BUSY_BIT',
      'BPF_RINGBUF_HDR_SZ',
      'BPF_PSEUDO_MAP_VALUE',
      'BPF_JMP32',
      'BPF_ATOMIC',
      'BPF_OBJ_NAME_LEN',
      'BPF_F_CURRENT_CPU',
      'BPF_F_INDEX_MASK',
    ];
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-const-'));
    const src = join(dir, 'c.c');
    writeFileSync(
      src,
      `#include <stdio.h>\n#include <linux/bpf.h>\nint main(void){\n${names
        .map((n) => `printf("%s %llu\\n", "${n}", (unsigned long long)(${n}));`)
        .join('\n')}\nreturn 0;}\n`,
    );
    execFileSync('gcc', ['-o', join(dir, 'c'), src]);
    const out = execFileSync(join(dir, 'c'), { encoding: 'utf8' });
    for (const line of out.trim().split('\n')) {
      const [name, value] = line.split(' ') as [string, string];
      const ours = (c as unknown as Record<string, number | bigint>)[name];
      expect([name, BigInt(ours!)]).toEqual([name, BigInt(value)]);
    }
  });

  it('named enums have short keys and helper names by id', () => {
    expect(c.BpfMapType.ARRAY).toBe(2);
    expect(c.BpfCmd.PROG_LOAD).toBe(5);
    expect(c.XdpAction.PASS).toBe(2);
    expect(c.BPF_FUNC_NAMES[1]).toBe('map_lookup_elem');
    expect(c.BpfFunc.ringbuf_output).toBe(130);
    expect(c.BPF_FUNC_NAMES.length).toBe(210);
  });

  it('newer constants live in the hand-written file only', () => {
    const generated = readFileSync(
      new URL('../src/generated/bpf-constants.generated.ts', import.meta.url),
      'utf8',
    );
    expect(generated).not.toMatch(/TCX_INGRESS/);
    expect(c.BpfAttachTypeNewer.TCX_INGRESS).toBe(46);
    expect(c.BpfProgTypeNewer.NETFILTER).toBe(32);
    expect(c.BpfMapTypeNewer.ARENA).toBe(33);
  });

  it('the generator reproduces the committed file', () => {
    const path = new URL('../src/generated/bpf-constants.generated.ts', import.meta.url);
    const before = readFileSync(path, 'utf8');
    execFileSync('npx', ['tsx', new URL('../scripts/generate-constants.ts', import.meta.url).pathname]);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});
