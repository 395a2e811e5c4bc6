import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Btf } from '@ts-ebpf/btf';
import { loadKernelBtf } from '@ts-ebpf/btf/kernel';
import { parseElf } from '@ts-ebpf/elf-reader';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collection,
  loadCollection,
  loadCollectionSpec,
  readKernelConfig,
  readUsdtNotes,
  USDT_SPECS_MAP,
  UsdtAttachError,
  X86_64_PT_REGS_OFFSET,
} from '../src/index.js';
import { CORPUS_DIR, CorpusBuild } from './corpus/build.js';

/** The values usdt-target.c passes, probe by probe, as bpf_usdt_arg() returns them (a long). */
const EXPECTED = {
  regs: [
    -9000000000n,
    BigInt.asIntN(64, 18000000000000000000n),
    -70000n,
    4000000000n,
    -300n,
    60000n,
    -100n,
    200n,
  ],
  mem: [-1234567890123n, -123456n, 65000n, -5n, 250n],
  consts: [42n, -7n, 100000n],
  sem: [-77n],
};

let build: CorpusBuild;
let pie: string;
let noPie: string;
let object: Buffer;
let noPieObject: Buffer;
let twoSlots: Buffer;

beforeAll(() => {
  build = new CorpusBuild();
  const sources = [join(CORPUS_DIR, 'usdt-target.c'), join(CORPUS_DIR, 'usdt-target-sem.c')];
  pie = join(build.dir, 'usdt-target');
  noPie = join(build.dir, 'usdt-target-nopie');
  execFileSync('gcc', ['-O2', '-fPIE', '-pie', '-o', pie, ...sources]);
  execFileSync('gcc', ['-O2', '-fno-PIE', '-no-pie', '-o', noPie, ...sources]);
  const compile = (target: string, defines: Record<string, string> = {}) =>
    build.object('usdt.bpf.c', {
      defines: { TARGET_BINARY: JSON.stringify(target), ...defines },
      includeAfter: ['/usr/include/x86_64-linux-gnu'],
    });
  object = compile(pie);
  noPieObject = compile(noPie);
  twoSlots = compile(pie, { BPF_USDT_MAX_SPEC_CNT: '2' });
}, 120_000);
afterAll(() => build?.cleanup());

/** A `long[]` global of the collection. */
function longs(c: Collection, name: string): bigint[] {
  const b = c.variable(name).get();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.byteLength / 8 }, (_, i) => v.getBigInt64(i * 8, true));
}

/** Runs the target once; returns the semaphore value it printed. */
const run = (binary: string) => Number(execFileSync(binary).toString().trim());

describe('the USDT probes of the gcc-built target', () => {
  it('cover constants, registers and memory of 1, 2, 4 and 8 bytes, signed and unsigned', () => {
    const notes = readUsdtNotes(parseElf(readFileSync(pie)), pie);
    expect(notes.map((n) => `${n.provider}:${n.name}`)).toEqual([
      'tsebpf:regs',
      'tsebpf:mem',
      'tsebpf:consts',
      'tsebpf:sem',
    ]);
    const operands = notes.flatMap((n) => n.args.split(' '));
    expect(operands.some((o) => /@\$/.test(o))).toBe(true);
    expect(operands.some((o) => /@%/.test(o))).toBe(true);
    expect(operands.some((o) => /@-?\d*\(%/.test(o))).toBe(true);
    const sizes = new Set(operands.map((o) => o.split('@')[0]));
    for (const s of ['1', '2', '4', '8', '-1', '-2', '-4', '-8']) expect(sizes).toContain(s);
    expect(notes.filter((n) => n.semaphore !== 0n).map((n) => n.name)).toEqual(['sem']);
  });
});

describeKernel('USDT programs (usdt.bpf.h) attached to the target', () => {
  it('reads every argument, the argument count and the cookie; raises the semaphore while attached', () => {
    using c = loadCollection(object);
    expect(run(pie)).toBe(0);
    const links = [
      c.attachUsdt('on_regs', { binary: pie, provider: 'tsebpf', name: 'regs' }),
      c.attachUsdt('on_mem', { binary: pie, provider: 'tsebpf', name: 'mem', cookie: 99 }),
      c.attachUsdt('on_sem', { binary: pie, provider: 'tsebpf', name: 'sem', cookie: -1n }),
      ...c.attach({}, ['on_consts']), // by its section: usdt/<pie>:tsebpf:consts
    ];
    expect(run(pie)).toBe(1);
    expect(longs(c, 'regs_args')).toEqual(EXPECTED.regs);
    expect(longs(c, 'mem_args')).toEqual(EXPECTED.mem);
    expect(longs(c, 'const_args')).toEqual(EXPECTED.consts);
    expect(longs(c, 'sem_args')).toEqual(EXPECTED.sem);
    expect(longs(c, 'arg_counts')).toEqual([8n, 5n, 3n, 1n]);
    expect(longs(c, 'cookies')).toEqual([0n, 99n, 0n, -1n]);
    expect(longs(c, 'hits')).toEqual([1n, 1n, 1n, 1n]);
    expect(longs(c, 'errors')).toEqual([0n]);
    for (const l of links) l.close();
    // Detached: the semaphore is down again, the sem probe does not fire, the slots are free.
    expect(run(pie)).toBe(0);
    expect(longs(c, 'hits')).toEqual([1n, 1n, 1n, 1n]);
    const specs = c.map(USDT_SPECS_MAP);
    for (let i = 0; i < 4; i++)
      expect(specs.get(new Uint8Array(new Uint32Array([i]).buffer))!.some((b) => b)).toBe(false);
  });

  it('reuses freed spec slots, and says so when every slot is in use', () => {
    using c = loadCollection(twoSlots);
    const specs = c.map(USDT_SPECS_MAP);
    const used = () =>
      [0, 1].map((i) => specs.get(new Uint8Array(new Uint32Array([i]).buffer))!.some((b) => b !== 0));
    expect(specs.maxEntries).toBe(2);
    const first = c.attachUsdt('on_sem', { binary: pie, provider: 'tsebpf', name: 'sem' });
    expect(used()).toEqual([true, false]);
    first.close();
    expect(used()).toEqual([false, false]);
    using _a = c.attachUsdt('on_sem', { binary: pie, provider: 'tsebpf', name: 'sem' });
    using _b = c.attachUsdt('on_consts', { binary: pie, provider: 'tsebpf', name: 'consts', cookie: 3 });
    expect(used()).toEqual([true, true]);
    expect(() => c.attachUsdt('on_regs', { binary: pie, provider: 'tsebpf', name: 'regs' })).toThrow(
      /all 2 slots of __bpf_usdt_specs are in use/,
    );
    expect(run(pie)).toBe(1);
    expect(longs(c, 'hits')).toEqual([0n, 0n, 1n, 1n]);
  });

  it('with a pid, fires only in that process', async () => {
    using c = loadCollection(object);
    const child = spawn(pie, ['wait'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const pid = Number((await lines.next()).value);
    expect(pid).toBe(child.pid);
    using _l = c.attachUsdt('on_consts', { binary: pie, provider: 'tsebpf', name: 'consts', pid });
    run(pie); // another process: not counted
    expect(longs(c, 'hits')[2]).toBe(0n);
    child.stdin!.end('go\n');
    await new Promise((r) => child.once('exit', r));
    expect(longs(c, 'hits')[2]).toBe(1n);
    expect(longs(c, 'const_args')).toEqual(EXPECTED.consts);
  });

  it('without BPF cookies (LINUX_HAS_BPF_COOKIE=n) finds specs by address in a non-PIE binary', () => {
    const kconfig = new Map(readKernelConfig()).set('LINUX_HAS_BPF_COOKIE', 'n');
    using c = loadCollection(noPieObject, { kconfig });
    using _a = c.attachUsdt('on_regs', { binary: noPie, provider: 'tsebpf', name: 'regs' });
    using _b = c.attachUsdt('on_mem', { binary: noPie, provider: 'tsebpf', name: 'mem', cookie: 7 });
    run(noPie);
    expect(longs(c, 'regs_args')).toEqual(EXPECTED.regs);
    expect(longs(c, 'mem_args')).toEqual(EXPECTED.mem);
    expect(longs(c, 'cookies').slice(0, 2)).toEqual([0n, 7n]);
    expect(c.map('__bpf_usdt_ip_to_spec_id').count()).toBe(2);
    // One address, one spec: a second attachment of the same site is refused.
    expect(() => c.attachUsdt('on_sem', { binary: noPie, provider: 'tsebpf', name: 'regs' })).toThrow(
      /already attached from this collection/,
    );
    // A PIE binary's addresses are per process: refused, with the reason.
    expect(() => c.attachUsdt('on_sem', { binary: pie, provider: 'tsebpf', name: 'sem' })).toThrow(
      UsdtAttachError,
    );
    expect(() => c.attachUsdt('on_sem', { binary: pie, provider: 'tsebpf', name: 'sem' })).toThrow(
      /position-independent/,
    );
  });

  it("places each register where the kernel's struct pt_regs has it", () => {
    const btf = loadKernelBtf();
    const regs = btf.find('pt_regs', 'struct');
    expect(regs?.kind).toBe('struct');
    const offsetOf = new Map(
      regs!.kind === 'struct' ? regs!.members.map((m) => [m.name, m.bitOffset / 8] as const) : [],
    );
    const slot: Record<string, string> = { rax: 'ax', rbx: 'bx', rcx: 'cx', rdx: 'dx', rsi: 'si', rdi: 'di' };
    Object.assign(slot, { rbp: 'bp', rsp: 'sp', rip: 'ip' });
    for (let n = 8; n <= 15; n++) slot[`r${n}`] = `r${n}`;
    for (const [reg, member] of Object.entries(slot))
      expect([reg, X86_64_PT_REGS_OFFSET.get(reg)]).toEqual([reg, offsetOf.get(member)]);
  });

  it("lays out struct __bpf_usdt_spec as the object's BTF says", () => {
    const spec = loadCollectionSpec(object);
    const btf = Btf.parse(spec.btf!);
    const s = btf.find('__bpf_usdt_spec', 'struct');
    const a = btf.find('__bpf_usdt_arg_spec', 'struct');
    if (s?.kind !== 'struct' || a?.kind !== 'struct')
      throw new Error('usdt.bpf.h types missing from the BTF');
    expect(s.size).toBe(208);
    expect(s.members.map((m) => [m.name, m.bitOffset / 8])).toEqual([
      ['args', 0],
      ['usdt_cookie', 192],
      ['arg_cnt', 200],
    ]);
    expect(a.size).toBe(16);
    expect(a.members.map((m) => [m.name, m.bitOffset / 8])).toEqual([
      ['val_off', 0],
      ['arg_type', 8],
      ['reg_off', 12],
      ['arg_signed', 14],
      ['arg_bitshift', 15],
    ]);
  });
});
