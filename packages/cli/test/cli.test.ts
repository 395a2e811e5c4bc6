import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BpfMap, MapType, u32 } from '@ts-ebpf/maps';
import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { type CommandGroup, colorWanted, main, toJson } from '../src/index.js';
import { cli, cliJson } from './run.js';

const ESC = '\u001b[';

describe('ts-ebpf: dispatch, help and usage errors', () => {
  it('no command, an unknown command or subcommand: the help on stderr, exit 2', async () => {
    for (const argv of [[], ['frobnicate'], ['map'], ['map', 'frobnicate'], ['prog', 'dump', 'sideways']]) {
      const r = await cli(argv);
      expect([argv, r.code]).toEqual([argv, 2]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/usage: ts-ebpf|ts-ebpf (map|prog):/);
    }
    expect((await cli(['frobnicate'])).stderr).toContain("unknown command 'frobnicate'");
    expect((await cli(['prog', 'dump', 'sideways'])).stderr).toContain("unknown subcommand 'dump sideways'");
  });

  it('an option with no command is named as unknown, not answered with the bare usage', async () => {
    for (const argv of [['--verbose'], ['-x'], ['--json', '--frobnicate']]) {
      const r = await cli(argv);
      expect([argv, r.code]).toEqual([argv, 2]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^ts-ebpf: unknown option '${argv.at(-1)}'\\n\\nusage: ts-ebpf`));
    }
    expect((await cli(['--json'])).stderr).toMatch(/^usage: ts-ebpf/); // a known option alone: the usage
  });

  it('--version, -V and version print the package version on stdout (JSON with --json), exit 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    for (const argv of [['--version'], ['-V'], ['version']])
      expect([argv, await cli(argv)]).toEqual([
        argv,
        { code: 0, stdout: `ts-ebpf ${version}\n`, stderr: '' },
      ]);
    for (const argv of [
      ['--version', '--json'],
      ['-j', 'version'],
      ['version', '-j'],
    ])
      expect([argv, JSON.parse((await cli(argv)).stdout)]).toEqual([argv, { version }]);
    const extra = await cli(['version', 'now']);
    expect([extra.code, extra.stderr]).toEqual([
      2,
      expect.stringMatching(/^ts-ebpf: unexpected argument 'now' after version\n/),
    ]);
    expect((await cli(['--help'])).stdout).toContain('ts-ebpf --version | --help');
    expect((await cli(['--version', '--help'])).stdout).toMatch(/^usage: ts-ebpf/);
  });

  it('a misspelt command or subcommand: the nearest one named, none for a word too far from all', async () => {
    expect((await cli(['feature'])).stderr).toMatch(
      /^ts-ebpf: unknown command 'feature'; did you mean 'features'\?\n/,
    );
    expect((await cli(['prog', 'lst', 'id', '5'])).stderr).toMatch(
      /^ts-ebpf prog: unknown subcommand 'lst id'; did you mean 'list'\?\n/,
    );
    expect((await cli(['prog', 'dump', 'xlate', 'id', '5'])).stderr).toContain("did you mean 'dump xlated'?");
    expect((await cli(['frobnicate'])).stderr).not.toContain('did you mean');
    expect((await cli(['prog', 'dump', 'sideways'])).stderr).not.toContain('did you mean');
  });

  it('--help for the tool, a group and a subcommand: stdout, exit 0', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['prog', 'map', 'link', 'btf', 'features', 'gen'])
      expect(top.stdout).toMatch(new RegExp(`\\n  ${c}\\s`));
    const group = await cli(['map', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain(
      'ts-ebpf map update MAP key [hex] BYTES value [hex] BYTES [any|exist|noexist]',
    );
    const sub = await cli(['prog', 'dump', 'xlated', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('usage: ts-ebpf prog dump xlated PROG [--json]');
    expect(sub.stdout).toContain('PROG := id ID | pinned PATH | name NAME | tag TAG | ID | PATH');
  });

  it('malformed arguments are usage errors (exit 2) naming the argument, with the usage', async () => {
    const cases: [string[], string][] = [
      [
        ['prog', 'show', 'id', 'twelve'],
        "the program id must be a number from 1 to 4294967295, got 'twelve'",
      ],
      [['prog', 'show', 'id', '0'], 'must be a number from 1'],
      [['prog', 'show'], 'missing the program'],
      [['prog', 'show', 'label', 'x'], "'label' names no program"],
      [['prog', 'list', 'extra'], "unexpected argument 'extra'"],
      [['map', 'list', '--verbose'], "unknown option '--verbose'"],
      [['prog', 'show', '--bogus', '1'], "unknown option '--bogus'"],
      [['map', 'show', 'id', '1', '--bogus'], "unknown option '--bogus'"],
      [['btf', 'dump', 'c', '--bogus'], "unknown option '--bogus'"],
      [['map', 'list', '--jsn'], "unknown option '--jsn'; did you mean '--json'?"],
      [['prog', 'list', '--hlep'], "unknown option '--hlep'; did you mean '--help'?"],
      [['map', 'lookup', '12', 'value', '1'], "expected 'key'"],
      [['btf', 'dump'], 'missing the format'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect([argv, r.code]).toEqual([argv, 2]);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toMatch(/\nusage: ts-ebpf /);
    }
  });

  it('options before the command reach it (ts-ebpf --json COMMAND)', async () => {
    const r = await cli(['--json', 'map', 'show', 'id', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage: ts-ebpf map show MAP [--json]');
  });

  it('--help between the group and the subcommand, or after part of its words', async () => {
    const dump = await cli(['prog', 'dump', '--help']);
    expect([dump.code, dump.stderr]).toEqual([0, '']);
    expect(dump.stdout).toContain('ts-ebpf prog dump xlated PROG [--json]');
    expect(dump.stdout).toContain('ts-ebpf prog dump jited PROG [--json]');
    expect(dump.stdout).not.toContain('ts-ebpf prog list');
    const sub = await cli(['prog', '--help', 'dump', 'xlated']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('usage: ts-ebpf prog dump xlated PROG [--json]');
    expect((await cli(['prog', 'dump', 'sideways', '--help'])).code).toBe(2);
  });

  it('a new command group is one more entry in the table', async () => {
    const echo: CommandGroup = {
      name: 'echo',
      summary: 'prints its arguments',
      run: async (argv, io) => {
        io.stdout(`${argv.join(' ')}\n`);
        return 0;
      },
    };
    let out = '';
    const io = { stdout: (s: string) => (out += s), stderr: () => {} };
    expect(await main(['echo', 'a', 'b'], io, [echo])).toBe(0);
    expect(out).toBe('a b\n');
  });

  it('JSON keeps 64-bit integers exact and leaves out undefined fields', () => {
    expect(toJson({ a: 18446744073709551615n, b: undefined, c: [1, 'x', null, true] })).toBe(
      '{"a":18446744073709551615,"c":[1,"x",null,true]}',
    );
  });

  it('colours only on a terminal, and never with NO_COLOR set', () => {
    expect(colorWanted(true, {})).toBe(true);
    expect(colorWanted(true, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted(false, {})).toBe(false);
    expect(colorWanted(undefined, {})).toBe(false);
  });
});

describeKernel('ts-ebpf against the kernel', () => {
  it('tables are coloured only when the io asks for colour; JSON never is', async () => {
    using m = BpfMap.create({ type: MapType.HASH, name: 'cli_colour', key: u32, value: u32, maxEntries: 1 });
    const id = String(m.info().id);
    const coloured = await cli(['map', 'show', id], { color: true });
    expect(coloured.stdout).toContain(`${ESC}1mID`);
    expect(coloured.stdout).toContain(`${ESC}36m${id}${ESC}0m`);
    expect((await cli(['map', 'show', id])).stdout).not.toContain(ESC);
    expect((await cli(['map', 'show', id, '--json'], { color: true })).stdout).not.toContain(ESC);
  });

  it('--json / -j between the command and its subcommand, as anywhere else on the line', async () => {
    using m = BpfMap.create({ type: MapType.HASH, name: 'cli_jsonpos', key: u32, value: u32, maxEntries: 1 });
    const id = String(m.info().id);
    const after = await cli(['map', 'show', id, '--json']);
    expect(after.code).toBe(0);
    for (const argv of [
      ['map', '-j', 'show', id],
      ['map', '--json', 'show', id],
      ['-j', 'map', 'show', id],
    ]) {
      const r = await cli(argv);
      expect([argv, r.code, r.stderr]).toEqual([argv, 0, '']);
      expect(JSON.parse(r.stdout)).toEqual(JSON.parse(after.stdout));
    }
    const list = await cli(['prog', '--json', 'list']);
    expect([list.code, list.stderr]).toEqual([0, '']);
    expect(Array.isArray(JSON.parse(list.stdout))).toBe(true);
    // Dispatched to `prog dump xlated`: its own error, not "unknown subcommand".
    const dump = await cli(['prog', 'dump', '--json', 'xlated', '4294967295']);
    expect(dump.code).toBe(1);
    expect(dump.stderr).toMatch(/^ts-ebpf: no program has id 4294967295 /);
  });

  it('features: the syscall package report, as JSON or as yes/no lines', async () => {
    const report = await cliJson<{
      mapTypes: Record<string, { supported: boolean }>;
      misc: Record<string, { supported: boolean }>;
    }>(['features']);
    expect(report.mapTypes.HASH).toEqual({ supported: true });
    expect(report.misc.ISA_V4).toEqual({ supported: true });
    const text = await cli(['features']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^kernel \S+ \(\w+\)\n\nmap types\n {2}yes {2}hash\n/);
    expect(text.stdout).toMatch(/\nmisc\n {2}yes {2}large_insn_limit\n {2}yes {2}bounded_loops\n/);
    expect((await cli(['features', '--verbose'])).code).toBe(2);
  });

  it('features without CAP_BPF: says which probe could not run and why, exit 1 (not a report of EPERMs)', () => {
    const bin = new URL('../src/bin.ts', import.meta.url).pathname;
    const drop = '-bpf,-sys_admin,-perfmon';
    const r = spawnSync(
      'setpriv',
      [
        `--inh-caps=${drop}`,
        `--bounding-set=${drop}`,
        'npx',
        'tsx',
        '--conditions=@ts-ebpf/source',
        bin,
        'features',
      ],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^ts-ebpf: feature probe probeMapType\(HASH\) could not run: bpf\(BPF_MAP_CREATE\) was refused with EPERM and this process lacks CAP_BPF \(or CAP_SYS_ADMIN\)/,
    );
    expect(r.stderr).not.toContain('unexpected error');
    expect(r.status).toBe(1);
  });

  it('the real binary: exit codes, stderr, and no colour when not on a terminal', () => {
    const bin = new URL('../src/bin.ts', import.meta.url).pathname;
    const run = (...argv: string[]) =>
      spawnSync('npx', ['tsx', '--conditions=@ts-ebpf/source', bin, ...argv], { encoding: 'utf8' });
    const usage = run('map', 'lookup', '1', 'key');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: ts-ebpf map lookup');
    const missing = run('map', 'show', 'id', '4294967295');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('map id 4294967295');
    const listed = run('map', 'list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+TYPE\s+NAME/);
    expect(listed.stdout).not.toContain(ESC);
  });

  it('the real binary ends quietly, 128 + SIGPIPE, when its reader closes the pipe early', () => {
    const bin = new URL('../src/bin.ts', import.meta.url).pathname;
    const r = spawnSync(
      'bash',
      [
        '-c',
        'npx tsx --conditions=@ts-ebpf/source "$0" btf dump c 2>/tmp/.ts-ebpf-epipe-$$ | head -c 1 >/dev/null; s=$PIPESTATUS; cat /tmp/.ts-ebpf-epipe-$$; rm -f /tmp/.ts-ebpf-epipe-$$; exit $s',
        bin,
      ],
      { encoding: 'utf8' },
    );
    expect([r.status, r.stdout]).toEqual([141, '']);
  });
});
