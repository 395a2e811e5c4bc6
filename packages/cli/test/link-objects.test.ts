import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadCollection } from '@ts-ebpf/elf';
import { compileBpfC, describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cli } from './run.js';

const USAGE = 'usage: ts-ebpf object link OUT.o IN.o [IN.o …] [--json]';

let dir: string;
let main: string;
let lib: string;
let clash: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-cli-link-'));
  const compile = (source: string) => {
    const object = join(dir, basename(source).replace(/\.c$/, '.o'));
    compileBpfC(new URL(source, import.meta.url).pathname, object);
    return object;
  };
  // The two objects of the elf guide's "Link several objects" (the cli guide links them too).
  main = compile('../../../examples/bpf/link-counter.bpf.c');
  lib = compile('../../../examples/bpf/link-lib.bpf.c');
  clash = compile('fixtures/link-clash.bpf.c');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const u64 = (b: Uint8Array | undefined) => new DataView(b!.buffer, b!.byteOffset).getBigUint64(0, true);

describeKernel('ts-ebpf object link OUT.o IN.o…', () => {
  it('links two objects into one that loads: the program calls the other object’s function and map', async () => {
    const out = join(dir, 'linked.o');
    const r = await cli(['object', 'link', out, main, lib]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const before = openFds();
    {
      using c = loadCollection(readFileSync(out));
      expect([...c.programs.keys()]).toEqual(['counter']);
      const key = new Uint8Array(4);
      // count(step): totals += 2 * step (step = 2, the program's .rodata), calls++ (the library's .data)
      expect(c.program('counter').testRun({ data: new Uint8Array(64) }).retval).toBe(2); // XDP_PASS
      expect(u64(c.map('totals').get(key))).toBe(4n);
      c.program('counter').testRun({ data: new Uint8Array(64) });
      expect(u64(c.map('totals').get(key))).toBe(8n);
      expect(c.variable('calls').get()).toEqual(new Uint8Array(new Uint32Array([2]).buffer));
    }
    expect(leakedFds(before)).toEqual([]);

    const json = await cli(['object', 'link', '--json', join(dir, 'again.o'), main, lib]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      output: join(dir, 'again.o'),
      inputs: [main, lib],
      bytes: readFileSync(out).byteLength,
    });
    expect(readFileSync(join(dir, 'again.o'))).toEqual(readFileSync(out));
  });

  it('two strong definitions of one symbol: exit 1, naming both objects and the symbol; nothing written', async () => {
    const out = join(dir, 'clash.o');
    const r = await cli(['object', 'link', out, main, lib, clash]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `ts-ebpf: 'count' is defined in both ${lib} and ${clash} (two strong definitions: make one __weak, or one extern)\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('an output that is an input, a missing input, no input: usage errors (exit 2) with the usage', async () => {
    const hard = join(dir, 'hard-link.o');
    linkSync(lib, hard);
    const soft = join(dir, 'soft-link.o');
    symlinkSync(main, soft);
    const before = readFileSync(lib);
    const cases: [string[], string][] = [
      [[lib, main, lib], `the output '${lib}' is also an input ('${lib}')`],
      [[join(dir, '.', basename(main)), main], `is also an input ('${main}')`],
      [[hard, main, lib], `the output '${hard}' is also an input ('${lib}')`],
      [[soft, main], `the output '${soft}' is also an input ('${main}')`],
      [
        [join(dir, 'x.o'), main, join(dir, 'absent.o')],
        `input object '${join(dir, 'absent.o')}' does not exist`,
      ],
      [[join(dir, 'x.o')], `missing the input objects after the output '${join(dir, 'x.o')}'`],
      [[join(dir, 'x.o'), main, '--verbose'], "unknown option '--verbose'"],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(['object', 'link', ...argv]);
      expect([argv, r.code, r.stdout]).toEqual([argv, 2, '']);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain(`\n${USAGE}\n`);
    }
    expect(readFileSync(lib)).toEqual(before);
    expect(existsSync(join(dir, 'x.o'))).toBe(false);
  });

  it('`object` alone shows the group’s help (exit 2); --help lists link; a misspelt subcommand is named', async () => {
    const alone = await cli(['object']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^ts-ebpf object: missing subcommand\n/);
    const help = await cli(['object', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ts-ebpf object link OUT.o');
    const sub = await cli(['object', 'link', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain(USAGE);
    expect(sub.stdout).toContain('as bpftool gen object does');
    const typo = await cli(['object', 'lnk', 'out.o', 'a.o']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^ts-ebpf object: unknown subcommand 'lnk out.o'; did you mean 'link'\?/);
    const top = await cli(['--help']);
    expect(top.stdout).toMatch(/\n {2}object +work on clang-built BPF object files/);
  });
});
