import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LD_IMM64, PseudoCall, PseudoLd } from '@ts-ebpf/dsl';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollection } from '../src/index.js';

// A program with a map and a bpf-to-bpf call: the debug info clang -g writes (func_info for
// both functions, line_info for their lines) read back from the loaded program.
const SOURCE = [
  '#include <linux/bpf.h>',
  '#include <bpf/bpf_helpers.h>',
  'char LICENSE[] SEC("license") = "GPL";',
  'struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } hits SEC(".maps");',
  'static __attribute__((noinline)) int twice(int x) {',
  '  return x * 2 + 1;',
  '}',
  'SEC("socket") int count_it(struct __sk_buff *skb) {',
  '  __u32 k = 0;',
  '  __u64 *v = bpf_map_lookup_elem(&hits, &k);',
  '  if (v) __sync_fetch_and_add(v, 1);',
  '  return twice(skb->len);',
  '}',
];

let dir: string;
let object: Uint8Array;

describeKernel('a clang -g program’s code and debug info, read back from the kernel', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsebpf-code-'));
    const src = join(dir, 'code.bpf.c');
    writeFileSync(src, SOURCE.join('\n'));
    compileBpfC(src, join(dir, 'code.bpf.o'));
    object = readFileSync(join(dir, 'code.bpf.o'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('funcInfo names both functions, lineInfo gives their source lines, one JIT-compiled function each', () => {
    const before = openFds();
    {
      using c = loadCollection(object);
      const p = c.programs.get('count_it')!;
      const funcs = p.funcInfo();
      expect(funcs.map((f) => f.name)).toEqual(['count_it', 'twice']);
      expect(funcs[0]!.instruction).toBe(0);
      expect(p.btf()?.kindOf(funcs[1]!.typeId)).toBe('func');

      const lines = p.lineInfo();
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) {
        expect(l.file).toMatch(/code\.bpf\.c$/);
        // each record's text is the source's line at its line number
        expect(l.sourceLine).toBe(SOURCE[l.line - 1]);
      }
      const subStart = funcs[1]!.instruction;
      // the subprogram's records start at its first instruction (its declaration's line), its body after
      expect(lines.find((l) => l.instruction === subStart)?.line).toBe(5);
      expect(lines.filter((l) => l.instruction >= subStart).map((l) => l.sourceLine)).toContain(
        '  return x * 2 + 1;',
      );
      expect(lines.filter((l) => l.instruction < subStart).map((l) => l.line)).toContain(10);
      expect(lines.map((l) => l.instruction)).toEqual(
        [...lines.map((l) => l.instruction)].sort((a, b) => a - b),
      );

      const insns = p.instructions();
      // the subprogram starts where its func_info says, right after the main program's last exit
      expect(insns.findIndex((i) => i.code === 0x95)).toBeLessThan(subStart);
      const call = insns.find((i) => i.code === 0x85 && i.src === PseudoCall.CALL);
      expect(call?.imm).toBe(1);
      const mapLoad = insns.find((i) => i.code === LD_IMM64 && i.src === PseudoLd.MAP_FD);
      expect(mapLoad?.imm).toBe(c.maps.get('hits')!.info().id);

      const jited = p.jitedCode();
      expect(jited.functions).toHaveLength(funcs.length);
      expect(jited.bytes.byteLength).toBeGreaterThan(0);
      expect(jited.functions.reduce((n, f) => n + f.length, 0)).toBe(jited.bytes.byteLength);
    }
    expect(leakedFds(before)).toEqual([]);
  });
});
