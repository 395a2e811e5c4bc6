import { execFileSync, spawnSync } from 'node:child_process';
import { BtfBuilder } from '@ts-ebpf/btf';
import { type LoadedBtf, loadBtf } from '@ts-ebpf/btf/kernel';
import { BpfMap, MapType, perCpu, SkStorage, u32, u64 } from '@ts-ebpf/maps';
import { possibleCpuCount } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bpftoolJson, cli, cliJson } from './run.js';

type Json = Record<string, unknown>;
type Entry = { key: string[]; value?: string[]; values?: unknown[]; formatted?: Json };

const byKey = (a: Entry, b: Entry) => a.key.join().localeCompare(b.key.join());

/** A BTF-described value: `struct val { u64 a; u32 b; char name[8]; int arr[2]; enum color c; u32 lo:3, hi:5; }`. */
function valueBtf(): { btf: LoadedBtf; keyTypeId: number; valueTypeId: number } {
  const b = new BtfBuilder();
  const u32t = b.int('unsigned int', 4);
  const u64t = b.int('unsigned long long', 8);
  const ch = b.int('char', 1, { char: true });
  const i32 = b.int('int', 4, { signed: true });
  const color = b.enum('color', { RED: 0, GREEN: 1 });
  const valueTypeId = b.struct('val', [
    { name: 'a', type: u64t },
    { name: 'b', type: u32t },
    { name: 'name', type: b.array(ch, 8) },
    { name: 'arr', type: b.array(i32, 2) },
    { name: 'c', type: color },
    { name: 'lo', type: u32t, bitOffset: 256, bitfieldSize: 3 },
    { name: 'hi', type: u32t, bitOffset: 259, bitfieldSize: 5 },
  ]);
  return { btf: loadBtf(b), keyTypeId: u32t, valueTypeId };
}

function value(
  a: bigint,
  b: number,
  name: string,
  arr: [number, number],
  c: number,
  lo: number,
  hi: number,
): Uint8Array {
  const v = new Uint8Array(40);
  const d = new DataView(v.buffer);
  d.setBigUint64(0, a, true);
  d.setUint32(8, b, true);
  v.set(new TextEncoder().encode(name), 12);
  d.setInt32(20, arr[0], true);
  d.setInt32(24, arr[1], true);
  d.setUint32(28, c, true);
  d.setUint32(32, lo | (hi << 3), true);
  return v;
}

describeKernel('ts-ebpf map', () => {
  let plain: BpfMap<number, bigint>;
  let typed: BpfMap<Uint8Array, Uint8Array>;
  let perCpuMap: BpfMap<number, bigint[]>;
  let btf: LoadedBtf;

  beforeAll(() => {
    plain = BpfMap.create({ type: MapType.HASH, name: 'cli_plain', key: u32, value: u64, maxEntries: 16 });
    for (const k of [1, 2, 300, 70000]) plain.set(k, BigInt(k) * 1000n + 0xff00000000n);
    const t = valueBtf();
    btf = t.btf;
    typed = BpfMap.create({
      type: MapType.HASH,
      name: 'cli_typed',
      keySize: 4,
      valueSize: 40,
      maxEntries: 4,
      btf: { fd: btf.fd, keyTypeId: t.keyTypeId, valueTypeId: t.valueTypeId },
    });
    typed.set(new Uint8Array([1, 0, 0, 0]), value(0xffffffffffffffffn, 7, 'hi', [-3, 9], 1, 5, 17));
    typed.set(new Uint8Array([2, 0, 0, 0]), value(42n, 0, 'x\ty', [0, 0], 7, 0, 31));
    perCpuMap = BpfMap.create({
      type: MapType.PERCPU_ARRAY,
      name: 'cli_percpu',
      key: u32,
      value: perCpu(u64),
      maxEntries: 2,
    });
    perCpuMap.set(
      1,
      Array.from({ length: possibleCpuCount() }, (_, i) => BigInt(i + 10)),
    );
  });

  afterAll(() => {
    for (const m of [plain, typed, perCpuMap]) m?.close();
    btf?.close();
  });

  it('map dump --json equals bpftool -j map dump: raw, per-CPU and BTF-decoded', async () => {
    for (const m of [plain, typed, perCpuMap]) {
      const id = String(m.info().id);
      const ours = (await cliJson<Entry[]>(['map', 'dump', 'id', id])).sort(byKey);
      const theirs = bpftoolJson<Entry[]>('map', 'dump', 'id', id).sort(byKey);
      expect(ours.length).toBeGreaterThan(0);
      expect(ours).toEqual(theirs);
    }
    const typedDump = await cliJson<Entry[]>(['map', 'dump', 'id', String(typed.info().id)]);
    const one = typedDump.find((e) => e.key[0] === '0x01')!;
    // An unsigned 64-bit value past 2^53 is printed exactly; JSON.parse rounds it, so check the text.
    expect((await cli(['map', 'dump', 'id', String(typed.info().id), '--json'])).stdout).toContain(
      '"a":18446744073709551615',
    );
    expect(one.formatted).toMatchObject({
      key: 1,
      value: { b: 7, name: 'hi', arr: [-3, 9], c: 'GREEN', lo: '0x5', hi: '0x11' },
    });
  });

  it('map dump of maps whose values user space cannot read: each key with its error, as bpftool; local storage as no entries', async () => {
    using perf = BpfMap.create({
      type: MapType.PERF_EVENT_ARRAY,
      name: 'cli_perf',
      keySize: 4,
      valueSize: 4,
      maxEntries: 2,
    });
    using cgroups = BpfMap.create({
      type: MapType.CGROUP_ARRAY,
      name: 'cli_cga',
      keySize: 4,
      valueSize: 4,
      maxEntries: 3,
    });
    using storage = SkStorage.create({ name: 'cli_skst', value: u64 });
    for (const [m, keys] of [
      [perf, 2],
      [cgroups, 3],
    ] as const) {
      const id = String(m.info().id);
      const r = await cli(['map', 'dump', id, '--json']);
      expect([r.code, r.stderr]).toEqual([
        0,
        expect.stringContaining(`map id ${id}: the kernel refused to read ${keys} values`),
      ]);
      const ours = JSON.parse(r.stdout) as { key: string[]; value: { error: string } }[];
      const theirs = bpftoolJson<{ key: string[]; value: { error: string } }[]>('map', 'dump', 'id', id);
      // The same keys, each with an error in place of its value (bpftool's text is strerror's).
      expect(ours.map((e) => e.key)).toEqual(theirs.map((e) => e.key));
      expect(ours).toHaveLength(keys);
      for (const e of ours) expect(e.value.error).toMatch(/^ENOTSUPP \(errno 524\)/);
      expect(theirs.every((e) => typeof e.value.error === 'string')).toBe(true);
      const text = await cli(['map', 'dump', id]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^key: 00 00 00 00 {2}value: <error: ENOTSUPP \(errno 524\)/);
      // A lookup names the map, not the CLI's own fd.
      const lookup = await cli(['map', 'lookup', id, 'key', '0', '0', '0', '0']);
      expect(lookup.code).toBe(1);
      expect(lookup.stderr).toMatch(
        new RegExp(`^ts-ebpf: map id ${id}: cannot read the value of key 00 00 00 00: ENOTSUPP`),
      );
    }
    const id = String(storage.info().id);
    const r = await cli(['map', 'dump', id, '--json']);
    // bpftool prints [] too (and exits non-zero: the kernel refused to list the keys).
    const theirs = spawnSync('bpftool', ['-j', 'map', 'dump', 'id', id], { encoding: 'utf8' }).stdout;
    expect([r.code, JSON.parse(r.stdout)]).toEqual([0, JSON.parse(theirs)]);
    expect(r.stdout).toBe('[]\n');
    expect(r.stderr).toContain(`map id ${id} is a sk_storage map`);
  });

  it('map dump --json formatted as bpftool: anonymous members named "", no formatted key without a key type', async () => {
    const b = new BtfBuilder();
    const u32t = b.int('unsigned int', 4);
    const inner = b.struct('', [{ name: 'x', type: u32t }]);
    const either = b.union('', [
      { name: 'y', type: u32t },
      { name: 'z', type: u32t },
    ]);
    const outer = b.struct('anons', [
      { name: 'a', type: u32t },
      { name: '', type: inner },
      { name: '', type: either },
    ]);
    const counter = b.var('counter', u32t);
    const section = b.datasec('.data', [{ type: counter, offset: 0, size: 4 }]);
    using types = loadBtf(b);
    using anons = BpfMap.create({
      type: MapType.ARRAY,
      name: 'cli_anons',
      keySize: 4,
      valueSize: 12,
      maxEntries: 1,
      btf: { fd: types.fd, keyTypeId: u32t, valueTypeId: outer },
    });
    anons.set(new Uint8Array(4), new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
    // A data section's map, as libbpf creates .data: no BTF key type.
    using data = BpfMap.create({
      type: MapType.ARRAY,
      name: 'cli_data',
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      btf: { fd: types.fd, keyTypeId: 0, valueTypeId: section },
    });
    data.set(new Uint8Array(4), new Uint8Array([7, 0, 0, 0]));
    for (const m of [anons, data]) {
      const id = String(m.info().id);
      const ours = (await cli(['map', 'dump', id, '--json'])).stdout;
      // The text, not the parsed value: repeated "" members collapse when parsed.
      const theirs = execFileSync('bpftool', ['-j', 'map', 'dump', 'id', id], { encoding: 'utf8' });
      expect(ours.trim()).toBe(theirs.trim());
    }
    const anonText = (await cli(['map', 'dump', String(anons.info().id), '--json'])).stdout;
    expect(anonText).toContain('"formatted":{"key":0,"value":{"a":1,"":{"x":2},"":{"y":3,"z":3}}}');
    const dataText = (await cli(['map', 'dump', String(data.info().id), '--json'])).stdout;
    expect(dataText).toContain('"formatted":{"value":{".data":[{"counter":7}]}}');
  });

  it('map show and map list --json: the fields bpftool prints, with its values', async () => {
    const ids = [plain, typed, perCpuMap].map((m) => m.info().id);
    const listed = (await cliJson<Json[]>(['map', 'list'])).filter((m) => ids.includes(m.id as number));
    const theirs = bpftoolJson<Json[]>('map', 'list').filter((m) => ids.includes(m.id as number));
    expect(listed).toHaveLength(3);
    // bpftool also prints `pids` (processes holding the map) when it finds any: we do not.
    // bpftool 7.1's `map list` repeats the previous map's btf_id on maps without BTF: compare
    // that field with `bpftool map show`, which prints it right.
    expect(listed.map(({ btf_id: _, ...rest }) => rest)).toEqual(
      theirs.map(({ pids: _, btf_id: __, ...rest }) => rest),
    );
    for (const m of listed) expect(m).toEqual(bpftoolJson<Json>('map', 'show', 'id', String(m.id)));
    const shown = await cliJson<Json>(['map', 'show', String(ids[1])]);
    expect(shown).toEqual(listed[1]);
    expect(shown.btf_id).toBe(typed.info().btfId);
    const table = await cli(['map', 'list']);
    expect(table.stdout).toMatch(new RegExp(`\\n${ids[0]}\\s+hash\\s+cli_plain\\s+4B\\s+8B\\s+16\\s`));
  });

  it('map lookup, update and delete with key/value bytes, as bpftool takes them', async () => {
    const id = String(plain.info().id);
    const key = ['key', '0x2c', '0x01', '0', '0'];
    const found = await cliJson<Entry>(['map', 'lookup', id, ...key]);
    expect(found).toEqual(bpftoolJson<Entry>('map', 'lookup', 'id', id, ...key));
    expect(found.value).toEqual(['0xe0', '0x93', '0x04', '0x00', '0xff', '0x00', '0x00', '0x00']);

    const set = await cli([
      'map',
      'update',
      'id',
      id,
      'key',
      'hex',
      '05000000',
      'value',
      'hex',
      '01',
      '02',
      '03',
      '04',
      '05',
      '06',
      '07',
      '08',
      'noexist',
    ]);
    expect(set.code).toBe(0);
    expect(plain.get(5)).toBe(0x0807060504030201n);
    // a refused update says so in the command line's words, not the library's (Update.NOEXIST)
    const zeroes = (k: string, flag: string) =>
      cli(['map', 'update', id, 'key', k, '0', '0', '0', 'value', ...Array(8).fill('0'), flag]);
    const again = await zeroes('5', 'noexist');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `map id ${id} already has an entry with key 05 00 00 00, and the update said noexist (create only)`,
    );
    const absent = await zeroes('6', 'exist');
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain(
      `map id ${id} has no entry with key 06 00 00 00, and the update said exist (replace only)`,
    );
    for (const r of [again, absent]) expect(r.stderr).not.toContain('Update.');
    // a lookup prints the entry alone, as bpftool does (no "1 entry" count, which a dump has)
    const text = await cli(['map', 'lookup', id, 'key', '5', '0', '0', '0']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim()).toBe('key: 05 00 00 00  value: 01 02 03 04 05 06 07 08');

    expect((await cli(['map', 'delete', id, 'key', '5', '0', '0', '0'])).code).toBe(0);
    expect(plain.has(5)).toBe(false);
    const gone = await cli(['map', 'delete', id, 'key', '5', '0', '0', '0']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`map id ${id} has no entry with key 05 00 00 00`);
    const missing = await cli(['map', 'lookup', id, 'key', 'hex', '09000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('has no entry with key 09 00 00 00');
  });

  it('a per-CPU update takes one value for every CPU, or a value per CPU', async () => {
    const id = String(perCpuMap.info().id);
    const n = possibleCpuCount();
    expect(
      (await cli(['map', 'update', id, 'key', '0', '0', '0', '0', 'value', 'hex', '0700000000000000'])).code,
    ).toBe(0);
    expect(perCpuMap.get(0)).toEqual(Array(n).fill(7n));
    const each = Array.from({ length: n }, (_, i) => `0${i + 1}00000000000000`).join('');
    expect((await cli(['map', 'update', id, 'key', '0', '0', '0', '0', 'value', 'hex', each])).code).toBe(0);
    expect(perCpuMap.get(0)).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 1)));
  });

  it('human output: one line per entry, decoded values when the map has BTF', async () => {
    const r = await cli(['map', 'dump', String(typed.info().id)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'key: 1  value: {"a":18446744073709551615,"b":7,"name":"hi","arr":[-3,9],"c":"GREEN","lo":"0x5","hi":"0x11"}',
    );
    // A char array that is not printable text is shown char by char; an unknown enum value as its number.
    expect(r.stdout).toContain(
      '"name":["x","\\t","y","\\u0000","\\u0000","\\u0000","\\u0000","\\u0000"],"arr":[0,0],"c":7',
    );
    expect(r.stdout).toContain('2 entries');
    const raw = await cli(['map', 'dump', String(plain.info().id)]);
    expect(raw.stdout).toContain('key: 01 00 00 00  value: e8 03 00 00 ff 00 00 00');
  });

  it('usage errors exit 2 before the kernel is asked; a missing map exits 1', async () => {
    const id = String(plain.info().id);
    const short = await cli(['map', 'lookup', id, 'key', '1', '0']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('key has 2 bytes; this map takes 4');
    expect(short.stderr).toContain('usage: ts-ebpf map lookup MAP key [hex] BYTES');
    const badByte = await cli(['map', 'lookup', id, 'key', '1', '0', '0', '256']);
    expect(badByte.code).toBe(2);
    expect(badByte.stderr).toContain("'256' is not a byte");
    const badFlag = await cli([
      'map',
      'update',
      id,
      'key',
      '1',
      '0',
      '0',
      '0',
      'value',
      ...Array(8).fill('0'),
      'sometimes',
    ]);
    expect(badFlag.code).toBe(2);
    const noMap = await cli(['map', 'dump', 'id', '4294967295']);
    expect(noMap.code).toBe(1);
    expect(noMap.stderr).toContain('map id 4294967295');
  });
});
