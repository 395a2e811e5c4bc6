import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('--help prints the usage and exits 0', async () => {
    expect(await run('--help')).toEqual({ code: 0, stdout: GEN_USAGE, stderr: '' });
  });

  it('bad arguments exit 2 with the reason on stderr; an object it cannot type exits 1', async () => {
    expect(await run(object, '--nmae', 'X')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'ts-ebpf gen: --nmae: unknown option (see ts-ebpf gen --help)\n',
    });
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
  });

  it('reads its arguments in any order; the default name comes from the file name', () => {
    expect(
      parseGenArguments(['--reference', '-o', 'a.ts', 'p.bpf.o', '--type', 'event', '--type', 'x']),
    ).toEqual({
      object: 'p.bpf.o',
      out: 'a.ts',
      mode: 'reference',
      name: undefined,
      types: ['event', 'x'],
      help: false,
    });
    expect(defaultName('/x/tcp_states.bpf.o')).toBe('TcpStates');
    expect(defaultName('1st.o')).toBe('_1st');
  });
});
