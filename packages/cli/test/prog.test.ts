import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { bpf, parse } from '@ts-ebpf/dsl';
import { BpfMap, MapType, u32, u64 } from '@ts-ebpf/maps';
import { BpfProgType, Program } from '@ts-ebpf/programs';
import { btfLoad, close, ensureBpffs } from '@ts-ebpf/syscall';
import { compileBpfC, counterProgram, describeKernel, hostCode, programDebugInfo } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { classic } from './insn-kinds.js';
import { bpftoolJson, cli, cliJson, uniquePin } from './run.js';

type Json = Record<string, unknown>;

/** The fields `prog show --json` and `bpftool -j prog show` both print. */
const SHARED_FIELDS = [
  'id',
  'type',
  'name',
  'tag',
  'gpl_compatible',
  'uid',
  'bytes_xlated',
  'jited',
  'bytes_jited',
  'bytes_memlock',
  'map_ids',
  'btf_id',
] as const;

type XlatedJson = { pc: number; opcode: string; proto?: string; src?: string; disasm: string }[];

/**
 * `prog dump xlated` of the program `ref` names (`['id', '12']`, `['pinned', path]`) prints what
 * bpftool prints, line for line, and its JSON has bpftool's prototype, source line and instruction
 * text on each instruction (bpftool's `disasm` is ours after the opcode). Returns our text.
 */
async function sameAsBpftool(ref: string[]): Promise<string> {
  const theirs = execFileSync('bpftool', ['prog', 'dump', 'xlated', ...ref], { encoding: 'utf8' });
  const ours = await cli(['prog', 'dump', 'xlated', ...ref]);
  expect(ours.code).toBe(0);
  expect(ours.stdout.trimEnd().split('\n')).toEqual(theirs.trimEnd().split('\n'));
  const json = await cliJson<XlatedJson>(['prog', 'dump', 'xlated', ...ref]);
  const theirJson = bpftoolJson<{ proto?: string; src?: string; disasm: string }[]>(
    'prog',
    'dump',
    'xlated',
    ...ref,
  );
  expect(
    json.map((o) => ({ proto: o.proto, src: o.src, disasm: `(${o.opcode.slice(2)}) ${o.disasm}` })),
  ).toEqual(theirJson.map((t) => ({ proto: t.proto, src: t.src, disasm: t.disasm })));
  return ours.stdout;
}

describeKernel('ts-ebpf prog', () => {
  let counts: BpfMap<number, bigint>;
  let counter: Program;
  let random: Program;
  const pin = uniquePin('prog');

  beforeAll(() => {
    ensureBpffs();
    counts = BpfMap.create({ type: MapType.ARRAY, name: 'cli_counts', key: u32, value: u64, maxEntries: 2 });
    counter = Program.load({
      type: BpfProgType.XDP,
      name: 'cli_counter',
      instructions: counterProgram(counts.fd),
    });
    // A helper call the verifier keeps as a call: xlated code names it from /proc/kallsyms.
    random = Program.load({
      type: BpfProgType.SOCKET_FILTER,
      name: 'cli_random',
      instructions: hostCode(bpf`call bpf_get_prandom_u32; r0 = 0; exit`),
    });
    random.pin(pin);
  });

  afterAll(() => {
    rmSync(pin, { force: true });
    random?.close();
    counter?.close();
    counts?.close();
  });

  it('prog list --json has every field bpftool prints, with the same values, for our programs', async () => {
    const ids = [counter.info().id, random.info().id];
    const ours = (await cliJson<Json[]>(['prog', 'list'])).filter((p) => ids.includes(p.id as number));
    const theirs = bpftoolJson<Json[]>('prog', 'list').filter((p) => ids.includes(p.id as number));
    expect(ours).toHaveLength(2);
    expect(theirs).toHaveLength(2);
    for (const [i, o] of ours.entries()) {
      const t = theirs[i]!;
      for (const f of SHARED_FIELDS) expect([f, o[f]]).toEqual([f, t[f]]);
      // Both derive the wall-clock load time from the boot clock; ours from /proc/uptime (10 ms).
      expect(Math.abs((o.loaded_at as number) - (t.loaded_at as number))).toBeLessThanOrEqual(1);
      // Fields only bpftool prints: `pids` (the processes holding an fd, found by a BPF iterator).
      for (const f of Object.keys(t)) if (f !== 'pids') expect(Object.keys(o)).toContain(f);
    }
    expect(ours[0]!.map_ids).toEqual([counts.info().id]);
    expect(ours[0]!.verified_insns).toBe(counter.info().verifiedInsns);
  });

  it('prog show by id and by pin, as a table and as JSON', async () => {
    const id = random.info().id;
    const byPin = await cliJson<Json>(['prog', 'show', 'pinned', pin]);
    const byId = await cliJson<Json>(['prog', 'show', 'id', String(id)]);
    const bare = await cliJson<Json>(['prog', 'show', pin]);
    // loaded_at comes from the boot clock read in each run (/proc/uptime, 10 ms): two runs can
    // land on either side of a second.
    const { loaded_at: at, ...rest } = byId;
    for (const other of [byPin, bare]) {
      const { loaded_at: otherAt, ...otherRest } = other;
      expect(otherRest).toEqual(rest);
      expect(Math.abs((otherAt as number) - (at as number))).toBeLessThanOrEqual(1);
    }
    const theirs = bpftoolJson<Json>('prog', 'show', 'pinned', pin);
    for (const f of SHARED_FIELDS) expect([f, byId[f]]).toEqual([f, theirs[f]]);
    const table = await cli(['prog', 'show', String(id)]);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+TYPE\s+NAME\s+TAG/);
    expect(row).toContain(`${id}`);
    expect(row).toContain('socket_filter');
    expect(row).toContain('cli_random');
    expect(row).toContain(random.info().tag);
    expect(table.stdout).not.toContain('\u001b[');
  });

  it('prog dump xlated: the same text as bpftool, map ids and helper names resolved', async () => {
    const counterText = await sameAsBpftool(['id', String(counter.info().id)]);
    expect(counterText).toContain(`map[id:${counts.info().id}]`);
    expect(counterText).toContain('lock *(u64 *)(r0 +0) += r1');
    const randomText = await sameAsBpftool(['id', String(random.info().id)]);
    expect(randomText).toMatch(/^ {3}0: \(85\) call \w+#-?\d+$/m);
  });

  it('prog dump xlated: each kind of instruction in the kernel’s syntax, as bpftool prints it', async () => {
    using jumps = BpfMap.create({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    using kinds = Program.load({
      type: BpfProgType.SOCKET_FILTER,
      name: 'cli_kinds',
      license: 'GPL',
      instructions: hostCode(parse(classic(jumps.fd))),
    });
    const text = await sameAsBpftool(['id', String(kinds.info().id)]);
    // the kernel's spelling, not the dsl's: offsets against the register, pc-relative jumps with
    // hex immediates, 64-bit constants without `ll`, a tail call by its helper id
    for (const line of [
      '(7a) *(u64 *)(r10 -8) = 5',
      '(db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)',
      '(db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)',
      '(26) if w2 > 0x3 goto pc+1',
      '(55) if r2 != 0xfffffffe goto pc+0',
      '(18) r5 = 0x1234567890',
      '(85) call bpf_tail_call#12',
    ])
      expect(text).toContain(line);
  });

  it('prog dump xlated: source lines as bpftool prints them, an empty one and one of white space too', async () => {
    const { btf, funcInfo, lineInfo } = programDebugInfo('main', ['', '   ', '\tr1 = 1;', 'x = 2; ']);
    const btfFd = btfLoad({ btf, logSize: 0 });
    try {
      using p = Program.load({
        type: BpfProgType.SOCKET_FILTER,
        name: 'cli_lines',
        instructions: hostCode(bpf`r0 = 0; r1 = 1; r2 = 2; exit`),
        btfFd,
        funcInfo,
        lineInfo,
      });
      const text = await sameAsBpftool(['id', String(p.info().id)]);
      expect(text.split('\n').slice(0, 8)).toEqual([
        'int main():',
        '; ',
        '   0: (b7) r0 = 0',
        '; ',
        '   1: (b7) r1 = 1',
        '; r1 = 1;',
        '   2: (b7) r2 = 2',
        '; x = 2; ',
      ]);
    } finally {
      close(btfFd);
    }
  });

  it('prog dump xlated: bpf-to-bpf calls by offset and subprogram symbol, kfunc calls by name, as bpftool', async () => {
    const btf = kernelBtf();
    const lock = btf.get('bpf_rcu_read_lock', 'func').id;
    const unlock = btf.get('bpf_rcu_read_unlock', 'func').id;
    // The verifier keeps a bpf-to-bpf call's offset in `off` and puts the subprogram's index in
    // `imm` (2 and 1 here): printing `imm` as the offset named the wrong target.
    using calls = Program.load({
      type: BpfProgType.XDP,
      name: 'cli_calls',
      license: 'GPL',
      instructions: hostCode(
        bpf`call kfunc#${lock}; call kfunc#${unlock}; r1 = 5; call pc+5; call pc+2; r0 = 2; exit; r0 = 1; exit; r0 = r1; r0 *= 3; exit`,
      ),
    });
    const text = await sameAsBpftool(['id', String(calls.info().id)]);
    const ourCalls = text.split('\n').filter((l) => l.includes(' (85) '));
    expect(ourCalls[0]).toMatch(/^ {3}0: \(85\) call bpf_rcu_read_lock#-?\d+$/);
    expect(ourCalls[1]).toMatch(/^ {3}1: \(85\) call bpf_rcu_read_unlock#-?\d+$/);
    expect(ourCalls[2]).toMatch(/^ {3}3: \(85\) call pc\+5(#bpf_prog_[0-9a-f]{16}_F)?$/);
    expect(ourCalls[3]).toMatch(/^ {3}4: \(85\) call pc\+2(#bpf_prog_[0-9a-f]{16}_F)?$/);
  });

  it('prog dump xlated of a clang-built program: prototypes and source lines, line for line as bpftool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsebpf-cli-funcs-'));
    const pins = uniquePin('funcs');
    try {
      const object = join(dir, 'funcs.o');
      compileBpfC(new URL('fixtures/funcs.bpf.c', import.meta.url).pathname, object);
      // bpftool loads it (with its func_info and line_info) and pins the program
      execFileSync('bpftool', ['prog', 'loadall', object, pins]);
      const pin = `${pins}/funcs`;
      const text = { stdout: await sameAsBpftool(['pinned', pin]) };
      // what the comparison covers: each kind of BTF type a prototype spells, and source lines
      // (an indented one without its indentation)
      const headers = text.stdout.split('\n').filter((l) => l.endsWith(':') && !/^ *\d+: /.test(l));
      expect(headers).toEqual([
        'int funcs(struct xdp_md * ctx):',
        'void nothing():',
        'int add(int x, u32 y):',
        'u64 weigh(const struct pair * p, enum color c, volatile char * s, union word w):',
        'unsigned char pick(restrict unsigned char * a, long b):',
        'struct xdp_md * same(struct xdp_md * c):',
        'int shapes(int [2]* a, int (int)* cb, const const volatile unsigned long * * pp, enum big e):',
        // tagged() has a type tag in a parameter: bpftool prints no prototype for it
        'int global_twice(int v):',
      ]);
      expect(text.stdout).toContain('\n; unsigned char buf[2] = {0, 1}; // indented');
      expect(text.stdout).toContain('\n; return x + (int)y;\n');
      const json = await cliJson<XlatedJson>(['prog', 'dump', 'xlated', 'pinned', pin]);
      expect(json.filter((o) => o.proto !== undefined)).toHaveLength(8);
    } finally {
      rmSync(pins, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prog dump jited: the image as hex, its length bpftool reports, and says it is not disassembled', async () => {
    const id = String(counter.info().id);
    const json = await cliJson<Json>(['prog', 'dump', 'jited', id]);
    const shown = bpftoolJson<Json>('prog', 'show', 'id', id);
    expect(json.bytes_jited).toBe(shown.bytes_jited);
    expect(json.disassembled).toBe(false);
    expect((json.opcodes as string[]).length).toBe(shown.bytes_jited);
    expect((json.opcodes as string[]).every((b) => /^0x[0-9a-f]{2}$/.test(b))).toBe(true);
    const text = await cli(['prog', 'dump', 'jited', id]);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain('no x64 disassembler');
    expect(text.stdout).toContain(`${shown.bytes_jited} bytes of x64 machine code`);
    expect(text.stdout).toMatch(/\n000000: ([0-9a-f]{2} ){15}[0-9a-f]{2}\n/);
  });

  it('a missing program id is a typed error on stderr and exit 1', async () => {
    const r = await cli(['prog', 'show', 'id', '4294967295']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no program has id 4294967295');
  });

  it('a map pinned where a program is expected is a typed error, exit 1', async () => {
    const mapPin = uniquePin('not-a-prog');
    counts.pin(mapPin);
    try {
      const r = await cli(['prog', 'show', 'pinned', mapPin]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(mapPin);
    } finally {
      rmSync(mapPin, { force: true });
    }
  });

  it('the real binary prints the same JSON as main()', async () => {
    const id = String(counter.info().id);
    const bin = new URL('../src/bin.ts', import.meta.url).pathname;
    const out = execFileSync(
      'npx',
      ['tsx', '--conditions=@ts-ebpf/source', bin, 'prog', 'show', 'id', id, '--json'],
      {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '' },
      },
    );
    const ours = await cliJson<Json>(['prog', 'show', 'id', id]);
    const fromBin = JSON.parse(out) as Json;
    expect({ ...fromBin, loaded_at: 0 }).toEqual({ ...ours, loaded_at: 0 });
    expect(Math.abs((fromBin.loaded_at as number) - (ours.loaded_at as number))).toBeLessThanOrEqual(1);
  });
});
