import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VerifierError } from '@ts-ebpf/programs';
import { stopHelperThreads } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  CollectionVerifierError,
  loadCollection,
  loadCollectionAsync,
  loadCollectionSpec,
} from '../src/index.js';

const HEADER = [
  '#include <linux/bpf.h>',
  '#include <bpf/bpf_helpers.h>',
  'char LICENSE[] SEC("license") = "GPL";',
];

// A map value used without testing the lookup's result against NULL.
const UNCHECKED = [
  ...HEADER,
  'struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } counts SEC(".maps");',
  'SEC("xdp") int unchecked(struct xdp_md *ctx)',
  '{',
  '  __u32 k = 0;',
  '  __u64 *v = bpf_map_lookup_elem(&counts, &k);',
  '  *v += 1;',
  '  return XDP_PASS;',
  '}',
];

// A packet byte read without checking it against data_end, in a subprogram (not inlined).
const SUBPROGRAM = [
  ...HEADER,
  'static __attribute__((noinline)) int twentieth(struct xdp_md *ctx)',
  '{',
  '  unsigned char *data = (void *)(long)ctx->data;',
  '  return data[20];',
  '}',
  'SEC("xdp") int in_subprogram(struct xdp_md *ctx)',
  '{',
  '  return twentieth(ctx) ? XDP_PASS : XDP_DROP;',
  '}',
];

// The same read in the program itself.
const PACKET = [
  ...HEADER,
  'SEC("xdp") int packet(struct xdp_md *ctx)',
  '{',
  '  unsigned char *data = (void *)(long)ctx->data;',
  '  return data[20];',
  '}',
];

let dir: string;

/** The object of `lines` (compiled with -g unless `debug` is false) and the C file's path. */
function compile(name: string, lines: readonly string[], debug = true): { bytes: Uint8Array; file: string } {
  const file = join(dir, `${name}.bpf.c`);
  const out = join(dir, `${name}.bpf.o`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  compileBpfC(file, out, { debug });
  return { bytes: readFileSync(out), file };
}

/** The 1-based number of the line of `lines` that is exactly `line`. */
function lineNumber(lines: readonly string[], line: string): number {
  const i = lines.indexOf(line);
  if (i < 0) throw new Error(`no line ${line}`);
  return i + 1;
}

/** What loading `bytes` throws, checked to be a CollectionVerifierError; no fd left open. */
function rejection(bytes: Uint8Array): CollectionVerifierError {
  const before = openFds();
  let error: unknown;
  try {
    loadCollection(bytes).close();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CollectionVerifierError);
  expect(leakedFds(before)).toEqual([]);
  return error as CollectionVerifierError;
}

describeKernel('a verifier rejection of a program from a clang object', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-elf-verifier-source-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => stopHelperThreads());

  it('names the instruction, its text and the C source line that line_info gives for it', async () => {
    const { bytes, file } = compile('unchecked', UNCHECKED);
    const e = rejection(bytes);
    const at = e.instruction!;
    expect(e.errorLine).toMatch(/R\d invalid mem access 'map_value_or_null'/);
    // the instruction is the one the log names, and reads through the unchecked pointer
    expect(e.log).toContain(`\n${at.slot}: (`);
    expect(at.text).toMatch(/^r\d = \*\(u64 \*\)\(r0 \+ 0\)$/);
    expect(at.function).toBe('unchecked');
    const line = lineNumber(UNCHECKED, '  *v += 1;');
    // clang-19 places the read at the `+=` of `*v += 1;`
    const column = '  *v += 1;'.indexOf('+=') + 1;
    expect(at.source).toEqual({ file, line, column, sourceLine: '  *v += 1;' });
    expect(e.message.split('\n')[0]).toBe(
      `verifier rejected program 'unchecked' at instruction ${at.index} [unchecked+${at.functionOffset}: ${at.text}] from ${file}:${line}:${column} \`*v += 1;\`: ${e.errorLine}`,
    );
    expect(e.message).toContain('\nhint: a pointer may be NULL here');
    // the kernel's own log agrees on the line
    expect(e.log).toContain(`; *v += 1; @ unchecked.bpf.c:${line}`);
    // loadCollectionAsync places it alike
    const async = await loadCollectionAsync(bytes).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(async).toBeInstanceOf(CollectionVerifierError);
    expect((async as VerifierError).instruction).toEqual(at);
  });

  it('names the subprogram the instruction falls in, by func_info, at its index in the whole program', () => {
    const { bytes, file } = compile('subprogram', SUBPROGRAM);
    const e = rejection(bytes);
    const at = e.instruction!;
    expect(e.errorLine).toMatch(/offset is outside of the packet/);
    expect(at.text).toMatch(/^r\d = \*\(u8 \*\)\(r\d \+ 20\)$/);
    expect(at.function).toBe('twentieth');
    // the subprogram starts where the linked program placed it (after the main function)
    const spec = loadCollectionSpec(bytes).programs.get('in_subprogram')!;
    const start = spec.origins.find((o) => o.name === 'twentieth')!.start;
    expect(start).toBeGreaterThan(0);
    expect(at.index - at.functionOffset!).toBe(start);
    const line = lineNumber(SUBPROGRAM, '  return data[20];');
    // clang-19 places the read at `data` of `data[20]`
    const column = '  return data[20];'.indexOf('data') + 1;
    expect(at.source).toEqual({ file, line, column, sourceLine: '  return data[20];' });
    expect(e.programName).toBe('in_subprogram');
    expect(e.message).toContain(
      `at instruction ${at.index} [twentieth+${at.functionOffset}: ${at.text}] from ${file}:${line}:${column} \`return data[20];\`: `,
    );
  });

  it('without -g (no BTF, no line_info): the instruction text, and nothing said of the source', () => {
    const { bytes } = compile('packet', PACKET, false);
    expect(loadCollectionSpec(bytes).btf).toBeUndefined();
    const e = rejection(bytes);
    const at = e.instruction!;
    expect(e.errorLine).toMatch(/offset is outside of the packet/);
    expect(at).toEqual({
      slot: at.slot,
      index: at.slot,
      text: expect.stringMatching(/^r\d = \*\(u8 \*\)\(r\d \+ 20\)$/),
    });
    expect(e.message.split('\n')[0]).toBe(
      `verifier rejected program 'packet' at instruction ${at.index} [${at.text}]: ${e.errorLine}`,
    );
    expect(e.message).not.toContain('.c:');
  });
});
