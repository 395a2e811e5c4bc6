import { execFileSync } from 'node:child_process';
import { bpf } from '@ts-ebpf/dsl';
import { BpfMap, MapType, u32 } from '@ts-ebpf/maps';
import { BpfProgType, Program } from '@ts-ebpf/programs';
import { describeKernel, hostCode, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bpftoolJson, cli, cliJson } from './run.js';

type Json = Record<string, unknown>;

/** The fields compared with bpftool (loaded_at may differ by a second, see prog.test.ts). */
const pick = (r: Json) => ({
  id: r.id,
  type: r.type,
  name: r.name,
  tag: r.tag,
  bytes_xlated: r.bytes_xlated,
});

describeKernel('ts-ebpf prog and map by name and tag', () => {
  // Names and instructions of this run only: other tests on the machine load programs too.
  const suffix = Math.random().toString(36).slice(2, 8);
  const twinName = `twin_${suffix}`;
  const soloName = `solo_${suffix}`;
  const k = 1 + Math.floor(Math.random() * 0x3fffffff);
  const objects: { close(): void }[] = [];
  let twins: Program[];
  let solo: Program;
  let map: BpfMap<number, number>;
  let pair: BpfMap<number, number>[];

  const load = (name: string, imm: number) =>
    Program.load({ type: BpfProgType.SOCKET_FILTER, name, instructions: hostCode(bpf`r0 = ${imm}; exit`) });
  const createMap = (name: string) =>
    BpfMap.create({ type: MapType.ARRAY, name, key: u32, value: u32, maxEntries: 2 });

  beforeAll(() => {
    // two programs of one name and one tag (the same instructions), one of another name and tag
    twins = [load(twinName, k), load(twinName, k)];
    solo = load(soloName, k + 1);
    map = createMap(`m_${suffix}`);
    pair = [createMap(`m2_${suffix}`), createMap(`m2_${suffix}`)];
    objects.push(...twins, solo, map, ...pair);
    map.set(1, 0xabcd);
  });

  afterAll(() => {
    for (const o of objects) o.close();
  });

  it('prog show name lists every program of the name, as a table and as bpftool’s JSON', async () => {
    const ids = twins.map((p) => p.info().id);
    const json = await cliJson<Json[]>(['prog', 'show', 'name', twinName]);
    expect(json.map((r) => r.id)).toEqual(ids);
    expect(json.map(pick)).toEqual(bpftoolJson<Json[]>('prog', 'show', 'name', twinName).map(pick));
    const table = await cli(['prog', 'show', 'name', twinName]);
    expect(table.code).toBe(0);
    const rows = table.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    for (const [i, row] of rows.entries())
      expect(row).toMatch(new RegExp(`^${ids[i]}\\s+socket_filter\\s+${twinName}\\s`));
    // one match: the record alone, as bpftool prints it
    const one = await cliJson<Json>(['prog', 'show', 'name', soloName]);
    expect(pick(one)).toEqual(pick(bpftoolJson<Json>('prog', 'show', 'name', soloName)));
    expect(one.id).toBe(solo.info().id);
  });

  it('prog show tag lists every program of the tag, upper-case hex too', async () => {
    const tag = twins[0]!.info().tag;
    expect(twins[1]!.info().tag).toBe(tag);
    const json = await cliJson<Json[]>(['prog', 'show', 'tag', tag.toUpperCase()]);
    expect(json.map((r) => r.id)).toEqual(twins.map((p) => p.info().id));
    expect(json.map(pick)).toEqual(bpftoolJson<Json[]>('prog', 'show', 'tag', tag).map(pick));
    const one = await cliJson<Json>(['prog', 'show', 'tag', solo.info().tag]);
    expect(one.id).toBe(solo.info().id);
  });

  it('prog dump xlated name: a unique name is dumped, an ambiguous one is an error listing the ids', async () => {
    const ours = await cli(['prog', 'dump', 'xlated', 'name', soloName]);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(
      execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(solo.info().id)], { encoding: 'utf8' }),
    );
    expect(ours.stdout).toContain(`r0 = ${k + 1}`);
    const ids = twins.map((p) => p.info().id);
    for (const ref of [
      ['name', twinName],
      ['tag', twins[0]!.info().tag],
    ]) {
      const r = await cli(['prog', 'dump', 'xlated', ...ref]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`2 programs have ${ref[0]} '${ref[1]}' (ids ${ids.join(', ')})`);
      expect(r.stderr).toContain(`'id ID'`);
    }
    const jited = await cli(['prog', 'dump', 'jited', 'name', twinName]);
    expect(jited.code).toBe(1);
  });

  it('map show name and map lookup name; an ambiguous name is shown whole, refused by lookup', async () => {
    const shown = await cliJson<Json>(['map', 'show', 'name', `m_${suffix}`]);
    expect(shown).toEqual(bpftoolJson<Json>('map', 'show', 'name', `m_${suffix}`));
    expect(shown.id).toBe(map.info().id);
    const entry = await cliJson<Json>(['map', 'lookup', 'name', `m_${suffix}`, 'key', '1', '0', '0', '0']);
    expect(entry.value).toEqual(['0xcd', '0xab', '0x00', '0x00']);
    const both = await cliJson<Json[]>(['map', 'show', 'name', `m2_${suffix}`]);
    expect(both).toEqual(bpftoolJson<Json[]>('map', 'show', 'name', `m2_${suffix}`));
    expect(both.map((r) => r.id)).toEqual(pair.map((m) => m.info().id));
    const r = await cli(['map', 'lookup', 'name', `m2_${suffix}`, 'key', '1', '0', '0', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`(ids ${pair.map((m) => m.info().id).join(', ')})`);
    const updated = await cli([
      'map',
      'update',
      'name',
      `m_${suffix}`,
      'key',
      '0',
      '0',
      '0',
      '0',
      'value',
      '7',
      '0',
      '0',
      '0',
    ]);
    expect(updated.code).toBe(0);
    expect(map.get(0)).toBe(7);
  });

  it('a name or tag nothing has is an error naming it, exit 1', async () => {
    for (const [argv, text] of [
      [['prog', 'show', 'name', `none_${suffix}`], `no program has name 'none_${suffix}'`],
      [['prog', 'show', 'tag', '0000000000000000'], `no program has tag '0000000000000000'`],
      [['prog', 'dump', 'xlated', 'name', `none_${suffix}`], `no program has name 'none_${suffix}'`],
      [['map', 'show', 'name', `none_${suffix}`], `no map has name 'none_${suffix}'`],
      [['map', 'dump', 'name', `none_${suffix}`], `no map has name 'none_${suffix}'`],
    ] as const) {
      const r = await cli(argv);
      expect([argv, r.code]).toEqual([argv, 1]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(text);
    }
  });

  it('a malformed tag, a name no kernel object can have, and a name for a link are usage errors (exit 2)', async () => {
    for (const [argv, text] of [
      [
        ['prog', 'show', 'tag', 'xyz'],
        `the program tag must be 16 hex digits (as prog show prints it), got 'xyz'`,
      ],
      [['prog', 'show', 'tag', '0123456789abcdef0'], 'must be 16 hex digits'],
      [['prog', 'show', 'tag', '0123456789abcdeg'], 'must be 16 hex digits'],
      [
        ['prog', 'show', 'name', 'sixteen_chars_xx'],
        `'sixteen_chars_xx' is 16 characters long, so it names no program`,
      ],
      [['map', 'lookup', 'name', 'a_very_long_map_name', 'key', '0'], `try 'name a_very_long_map'`],
      [['map', 'show', 'name', 'bad-name'], 'A-Z a-z 0-9 _ . only'],
      [['map', 'show', 'tag', '0123456789abcdef'], `'tag' names no map`],
      [['link', 'show', 'name', 'x'], `'name' names no link`],
    ] as const) {
      const r = await cli(argv);
      expect([argv, r.code]).toEqual([argv, 2]);
      expect(r.stderr).toContain(text);
      expect(r.stderr).toContain('usage: ts-ebpf');
    }
  });

  it('the walk closes every object it opens: no descriptor is left open', async () => {
    const before = openFds();
    const codes: number[] = [];
    for (const argv of [
      ['prog', 'show', 'name', twinName],
      ['prog', 'show', 'tag', twins[0]!.info().tag],
      ['prog', 'dump', 'xlated', 'name', soloName],
      ['prog', 'dump', 'xlated', 'name', twinName],
      ['prog', 'show', 'name', `none_${suffix}`],
      ['map', 'show', 'name', `m2_${suffix}`],
      ['map', 'lookup', 'name', `m_${suffix}`, 'key', '1', '0', '0', '0'],
      ['map', 'lookup', 'name', `m2_${suffix}`, 'key', '1', '0', '0', '0'],
    ])
      codes.push((await cli(argv)).code);
    expect(codes).toEqual([0, 0, 0, 1, 1, 0, 0, 1]);
    expect(leakedFds(before)).toEqual([]);
  });
});
