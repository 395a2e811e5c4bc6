import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseElf, stripDebugSections } from '@ts-ebpf/elf';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultName, GEN_USAGE, genCommand, generateBindings, parseGenArguments } from '../src/index.js';
import { compileFixture } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-gen-cmd-'));
const object = compileFixture('opaque.bpf.c', dir);
const noBtf = compileFixture('opaque.bpf.c', dir, [], { debug: false });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await genCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('ts-ebpf gen', () => {
  it('writes the module to standard output without -o, named after the object file', async () => {
    const r = await run(object);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(generateBindings(readFileSync(object), { name: 'Opaque', source: 'opaque.bpf.o' }));
    expect(r.stdout).toContain('export class Opaque implements Disposable');
    expect(r.stdout).toContain('readonly handle: Variable<bigint>;');
    expect(r.stdout).toContain('readonly check_handle: Program;');
  });

  it('writes the module to -o, with --name', async () => {
    const out = join(dir, 'bindings.ts');
    expect(await run(object, '-o', out, '--name', 'Handles')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(out, 'utf8')).toContain('export class Handles implements Disposable');
  });

  it('a class name made from the file name that is refused names the file and --name, not a --name never given', async () => {
    const map = join(dir, 'map.bpf.o');
    copyFileSync(object, map);
    const r = await run(map);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toMatch(
      /^ts-ebpf gen: \S*map\.bpf\.o: with no --name, the class is named after the file, and that name is refused: the class name Map is a TypeScript keyword, a global or a name the generated module imports or defines; name the class with --name\n/,
    );
    expect(r.stderr).not.toContain('--name Map');
    expect(await run(map, '-o', join(dir, 'map.ts'), '--name', 'MapProbe')).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect((await run(map, '--name', 'Map')).stderr).toMatch(
      /^ts-ebpf gen: --name Map: the class name Map is/,
    );
  });

  it('-o - writes to standard output, not to a file named -', async () => {
    const cwd = process.cwd();
    const here = mkdtempSync(join(dir, 'dash-'));
    process.chdir(here);
    try {
      const r = await run(object, '-o', '-');
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toBe((await run(object)).stdout);
      expect(readdirSync(here)).toEqual([]);
      expect((await run(object, '--reference', '-o', '-')).stderr).toMatch(/--reference: needs -o FILE/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('--reference writes the path as a relative URL: %, #, ? and spaces escaped', async () => {
    const weird = join(dir, 'we#ird 100%?');
    mkdirSync(join(weird, 'out'), { recursive: true });
    const copy = join(weird, 'ob#ject.bpf.o');
    copyFileSync(object, copy);
    const out = join(weird, 'out', 'bindings.ts');
    expect(await run(copy, '--reference', '-o', out)).toEqual({ code: 0, stdout: '', stderr: '' });
    const reference = /new URL\('([^']*)', import\.meta\.url\)/.exec(readFileSync(out, 'utf8'))?.[1];
    expect(reference).toBe('../ob%23ject.bpf.o');
    // Resolved as the module resolves it: the object's path.
    expect(fileURLToPath(new URL(reference!, pathToFileURL(out)))).toBe(copy);
    const deeper = join(weird, 'a b', 'c%d');
    mkdirSync(deeper, { recursive: true });
    const out2 = join(deeper, 'x.ts');
    expect((await run(copy, '--reference', '-o', out2)).code).toBe(0);
    const reference2 = /new URL\('([^']*)', import\.meta\.url\)/.exec(readFileSync(out2, 'utf8'))?.[1];
    expect(fileURLToPath(new URL(reference2!, pathToFileURL(out2)))).toBe(copy);
  });

  it('embeds the object without its DWARF sections; --keep-debug embeds it as it is', async () => {
    /** The object a module embeds (its base64 lines joined). */
    const embedded = (module: string) =>
      Buffer.from(/const OBJECT_BASE64 = \[\n([^\]]*)\]/.exec(module)![1]!.replace(/[\s',]/g, ''), 'base64');
    const debugSections = (bytes: Uint8Array) =>
      parseElf(bytes).sections.filter((s) => s.name.startsWith('.debug'));
    const original = readFileSync(object);
    expect(debugSections(original).length).toBeGreaterThan(3);

    const stripped = await run(object);
    const kept = await run(object, '--keep-debug');
    expect([stripped.code, kept.code]).toEqual([0, 0]);
    const small = embedded(stripped.stdout);
    expect(debugSections(small)).toEqual([]);
    expect(small.equals(stripDebugSections(original))).toBe(true);
    const debugBytes = debugSections(original).reduce((n, s) => n + s.size, 0);
    expect(small.byteLength).toBeLessThanOrEqual(original.byteLength - debugBytes);
    expect(stripped.stdout.length).toBeLessThan(kept.stdout.length - debugBytes);
    expect(stripped.stdout).toMatch(/opaque\.bpf\.o without its DWARF sections \(\.debug_\*\) \(/);
    expect(embedded(kept.stdout).equals(original)).toBe(true);
    expect(kept.stdout).not.toContain('without its DWARF');
  });

  it('--type "enum NAME" finds a 64-bit enum (BTF ENUM64)', async () => {
    const shapes = compileFixture('shapes.bpf.c', dir);
    for (const type of ['enum wide64', 'wide64']) {
      const r = await run(shapes, '--type', type);
      expect([type, r.code, r.stderr]).toEqual([type, 0, '']);
      expect(r.stdout).toContain('export const Wide64 = {');
    }
  });

  it('--help prints the usage and exits 0', async () => {
    expect(await run('--help')).toEqual({ code: 0, stdout: GEN_USAGE, stderr: '' });
  });

  it('bad arguments exit 2 with the reason on stderr; an object it cannot type exits 1', async () => {
    // A usage error: the message, then the usage line (as the CLI guide says of exit 2).
    const usageLine = GEN_USAGE.split('\n')[0]!;
    expect(usageLine).toMatch(/^usage: ts-ebpf gen /);
    expect(await run(object, '--nmae', 'X')).toEqual({
      code: 2,
      stdout: '',
      stderr: `ts-ebpf gen: --nmae: unknown option (see ts-ebpf gen --help)\n${usageLine}\n`,
    });
    const kind = await run(object, '--type', 'widget point');
    expect(kind.code).toBe(2);
    expect(kind.stderr).toBe(
      `ts-ebpf gen: --type widget point: unknown kind 'widget': give 'struct NAME', 'union NAME', 'enum NAME', 'typedef NAME' or a bare NAME\n${usageLine}\n`,
    );
    const missing = await run(join(dir, 'missing.o'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing\.o: cannot read the object file: ENOENT/);
    const unwritable = await run(object, '-o', join(dir, 'no/such/dir/out.ts'));
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toMatch(/out\.ts: cannot write the module: ENOENT/);
    const untyped = await run(noBtf);
    expect(untyped.code).toBe(1);
    expect(untyped.stderr).toMatch(/opaque\.bpf\.nodebug\.o has no \.BTF section: compile it with clang -g/);
    const notBpf = await run(process.execPath);
    expect(notBpf.code).toBe(1);
    expect(notBpf.stderr).toMatch(/^ts-ebpf gen: /);
    expect(notBpf.stderr).toContain(`${process.execPath}: not a BPF object`);
    // the C source given instead of its object: the file is named, and how to make the object
    const source = fileURLToPath(new URL('./fixtures/opaque.bpf.c', import.meta.url));
    const notElf = await run(source);
    expect(notElf.code).toBe(1);
    expect(notElf.stderr).toMatch(
      /^ts-ebpf gen: .*opaque\.bpf\.c: not an ELF file .*clang -g -O2 -target bpf -c/,
    );
  });

  it('reads its arguments in any order; the default name comes from the file name', () => {
    expect(
      parseGenArguments(['--reference', '-o', 'a.ts', 'p.bpf.o', '--type', 'event', '--type', 'x']),
    ).toEqual({
      object: 'p.bpf.o',
      out: 'a.ts',
      mode: 'reference',
      keepDebug: false,
      name: undefined,
      types: ['event', 'x'],
      help: false,
    });
    expect(defaultName('/x/tcp_states.bpf.o')).toBe('TcpStates');
    expect(defaultName('1st.o')).toBe('_1st');
  });
});
