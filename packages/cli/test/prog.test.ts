import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { bpf } from '@ts-ebpf/dsl';
import { BpfMap, MapType, u32, u64 } from '@ts-ebpf/maps';
import { BpfProgType, Program } from '@ts-ebpf/programs';
import { ensureBpffs } from '@ts-ebpf/syscall';
import { counterProgram, describeKernel, hostCode } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
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

  it('prog dump xlated: the same instructions as bpftool, map ids and helper names resolved', async () => {
    for (const p of [counter, random]) {
      const id = String(p.info().id);
      const ours = await cliJson<{ pc: number; opcode: string; disasm: string }[]>([
        'prog',
        'dump',
        'xlated',
        id,
      ]);
      const theirs = bpftoolJson<{ disasm: string }[]>('prog', 'dump', 'xlated', 'id', id);
      expect(ours.length).toBe(theirs.length);
      for (const [i, o] of ours.entries()) {
        // bpftool prints `(62) …`: the opcode in hex, then its own syntax.
        expect(theirs[i]!.disasm.slice(0, 4)).toBe(`(${o.opcode.slice(2)})`);
      }
      const text = await cli(['prog', 'dump', 'xlated', id]);
      expect(text.code).toBe(0);
      expect(text.stdout.split('\n')[0]).toMatch(/^ {3}0: \([0-9a-f]{2}\) /);
    }
    const counterText = (await cli(['prog', 'dump', 'xlated', String(counter.info().id)])).stdout;
    expect(counterText).toContain(`map[id:${counts.info().id}]`);
    const randomText = (await cli(['prog', 'dump', 'xlated', String(random.info().id)])).stdout;
    const helper = bpftoolJson<{ disasm: string }[]>('prog', 'dump', 'xlated', 'id', String(random.info().id))
      .map((l) => /call (\w+)#/.exec(l.disasm)?.[1])
      .find((n) => n !== undefined);
    expect(helper).toBeDefined();
    expect(randomText).toContain(`call ${helper}#`);
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
    const id = String(calls.info().id);
    const ours = await cliJson<{ opcode: string; disasm: string }[]>(['prog', 'dump', 'xlated', id]);
    const theirs = bpftoolJson<{ disasm: string }[]>('prog', 'dump', 'xlated', 'id', id);
    const callsOf = (lines: string[]) => lines.filter((l) => l.startsWith('(85) '));
    const ourCalls = callsOf(ours.map((l) => `(${l.opcode.slice(2)}) ${l.disasm}`));
    expect(ourCalls).toEqual(callsOf(theirs.map((l) => l.disasm)));
    expect(ourCalls[0]).toMatch(/^\(85\) call bpf_rcu_read_lock#-?\d+$/);
    expect(ourCalls[1]).toMatch(/^\(85\) call bpf_rcu_read_unlock#-?\d+$/);
    expect(ourCalls[2]).toMatch(/^\(85\) call pc\+5(#bpf_prog_[0-9a-f]{16}_F)?$/);
    expect(ourCalls[3]).toMatch(/^\(85\) call pc\+2(#bpf_prog_[0-9a-f]{16}_F)?$/);
    const text = await cli(['prog', 'dump', 'xlated', id]);
    expect(text.stdout).toMatch(/\n {3}3: \(85\) call pc\+5/);
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
