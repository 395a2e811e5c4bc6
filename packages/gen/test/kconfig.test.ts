import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { readKernelConfig, Tristate } from '@ts-ebpf/elf';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateBindings, UnsupportedTypeError } from '../src/index.js';
import { biomeFormat, compileFixture, type Diagnostic, Workspace } from './harness.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const ws = new Workspace('kconfig');
let diagnostics: Diagnostic[];
let module: string;
let dir: string;

describeKernel('generated modules: .kconfig externs', () => {
  beforeAll(() => {
    dir = join(ws.dir, 'obj');
    mkdirSync(dir, { recursive: true });
    const object = compileFixture('kconfig.bpf.c', dir);
    module = generateBindings(readFileSync(object), { name: 'Kconfig', source: 'kconfig.bpf.o' });
    ws.write('kconfig.ts', module);
    copyFileSync(join(FIXTURES, 'use-kconfig.ts'), join(ws.dir, 'use-kconfig.ts'));
    diagnostics = ws.typecheck();
  }, 240_000);

  afterAll(() => ws.cleanup());

  it('the module and its use compile under tsc --strict, laid out as the formatter would', () => {
    expect(diagnostics).toEqual([]);
    expect(biomeFormat(module) === module).toBe(true);
  });

  it('types each extern from its C type, read-only, in BTF order, and says which are __weak and what they hold then', () => {
    const start = module.indexOf('export interface KconfigKconfig {');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(module.slice(start, module.indexOf('\n}\n', start) + 2)).toBe(
      [
        'export interface KconfigKconfig {',
        "  /** `char[16] CONFIG_LOCALVERSION` (.kconfig, __weak: '' when the kernel's config does not set it). */",
        '  readonly CONFIG_LOCALVERSION: string;',
        '  /** `int LINUX_KERNEL_VERSION` (.kconfig). */',
        '  readonly LINUX_KERNEL_VERSION: number;',
        "  /** `_Bool CONFIG_BPF_SYSCALL` (.kconfig, __weak: false when the kernel's config does not set it). */",
        '  readonly CONFIG_BPF_SYSCALL: boolean;',
        "  /** `enum libbpf_tristate CONFIG_BPF_JIT` (.kconfig, __weak: 0 when the kernel's config does not set it). */",
        '  readonly CONFIG_BPF_JIT: number;',
        '  /** `__u64 CONFIG_HZ` (.kconfig). */',
        '  readonly CONFIG_HZ: bigint;',
        "  /** `_Bool CONFIG_TS_EBPF_GEN_MISSING` (.kconfig, __weak: false when the kernel's config does not set it). */",
        '  readonly CONFIG_TS_EBPF_GEN_MISSING: boolean;',
        '}',
      ].join('\n'),
    );
    expect(module).toContain('  readonly kconfig: KconfigKconfig;');
  });

  it('after load, kconfig holds the values the loader resolved, the ones the program read', async () => {
    const { run } = await import(join(ws.dir, 'use-kconfig.ts'));
    const r = run();
    // This kernel's version code from uname's release, as KERNEL_VERSION(a, b, c) makes it.
    const [major, minor, patch] = release().split(/[.-]/).map(Number) as [number, number, number];
    const config = readKernelConfig();
    const expected = {
      version: (major << 16) + (minor << 8) + Math.min(patch, 255),
      syscall: true,
      jit: config.get('CONFIG_BPF_JIT') === 'y' ? Tristate.YES : Tristate.MODULE,
      hz: BigInt(config.get('CONFIG_HZ')!),
      localVersion: (config.get('CONFIG_LOCALVERSION') ?? '""').slice(1, -1),
      missing: false,
    };
    expect(r.retval).toBe(2);
    expect(r.kconfig).toEqual(expected);
    expect(r.frozen).toBe(true);
    expect(r.collection).toEqual({
      LINUX_KERNEL_VERSION: expected.version,
      CONFIG_BPF_SYSCALL: expected.syscall,
      CONFIG_BPF_JIT: expected.jit,
      CONFIG_HZ: expected.hz,
      CONFIG_LOCALVERSION: expected.localVersion,
      CONFIG_TS_EBPF_GEN_MISSING: expected.missing,
    });
    expect(r.seen).toEqual({ ...expected, localversion: expected.localVersion, localVersion: undefined });
  });

  it('a module of an object without .kconfig externs has no kconfig member', () => {
    const other = generateBindings(readFileSync(compileFixture('opaque.bpf.c', dir)), { name: 'Opaque' });
    expect(other).not.toMatch(/kconfig/i);
  });

  it('refuses an extern of a type libbpf does not fill, naming it', () => {
    const bytes = readFileSync(compileFixture('kconfig.bpf.c', dir, ['STRUCT_EXTERN']));
    expect(() => generateBindings(bytes, { name: 'Kconfig' })).toThrow(UnsupportedTypeError);
    expect(() => generateBindings(bytes, { name: 'Kconfig' })).toThrow(
      /cannot type struct pair \(kconfig extern CONFIG_TS_EBPF_PAIR\): libbpf fills a \.kconfig extern that is a bool/,
    );
  });
});
