import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Btf } from '@ts-ebpf/btf';
import {
  BpfMapCreateFlag,
  BpfMapType,
  close,
  kernelVersion,
  mapCreate,
  mapLookupElem,
  mapUpdateElem,
  progLoad,
  progTestRun,
} from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { describe, expect, it } from 'vitest';
import {
  buildKconfig,
  KconfigError,
  loadCollectionSpec,
  parseKconfig,
  relocate,
  SymbolBind,
} from '../src/index.js';
import { compileFixture } from './compile.js';

const config = parseKconfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'));

describe('kconfig', () => {
  it('parses set, unset and string options', () => {
    const c = parseKconfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_D=0x10\n');
    expect([...c]).toEqual([
      ['CONFIG_A', 'y'],
      ['CONFIG_B', 'n'],
      ['CONFIG_C', '"x y"'],
      ['CONFIG_D', '0x10'],
    ]);
    expect(config.get('CONFIG_BPF_SYSCALL')).toBe('y');
  });

  it('refuses an extern of a type libbpf does not fill, weak and unset too, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-kconfig-'));
    try {
      writeFileSync(
        join(dir, 'k.bpf.c'),
        `struct pair { int a, b; };
         extern struct pair CONFIG_TS_EBPF_PAIR __attribute__((section(".kconfig"), weak));
         int out;
         __attribute__((section("xdp"), used)) int k(void *ctx) { out = CONFIG_TS_EBPF_PAIR.a; return 2; }`,
      );
      compileBpfC(join(dir, 'k.bpf.c'), join(dir, 'k.o'));
      const btf = Btf.parse(loadCollectionSpec(readFileSync(join(dir, 'k.o'))).btf!);
      expect(() => buildKconfig(btf, new Map(), 1, () => true)).toThrow(KconfigError);
      expect(() => buildKconfig(btf, new Map(), 1, () => true)).toThrow(
        /kconfig extern CONFIG_TS_EBPF_PAIR: unsupported type struct/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a char extern of a y/m/n option holds the letter, as libbpf fills it; a wider integer refuses one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-kconfig-'));
    try {
      writeFileSync(
        join(dir, 'k.bpf.c'),
        `extern char CONFIG_TS_A __attribute__((section(".kconfig")));
         extern char CONFIG_TS_M __attribute__((section(".kconfig")));
         extern int CONFIG_TS_WIDE __attribute__((section(".kconfig"), weak));
         int out;
         __attribute__((section("xdp"), used)) int k(void *ctx) { out = CONFIG_TS_A + CONFIG_TS_M + CONFIG_TS_WIDE; return 2; }`,
      );
      compileBpfC(join(dir, 'k.bpf.c'), join(dir, 'k.o'));
      const btf = Btf.parse(loadCollectionSpec(readFileSync(join(dir, 'k.o'))).btf!);
      const letters = new Map([
        ['CONFIG_TS_A', 'y'],
        ['CONFIG_TS_M', 'm'],
      ]);
      const k = buildKconfig(btf, letters, 1, (n) => n === 'CONFIG_TS_WIDE');
      expect(k.values).toMatchObject({
        CONFIG_TS_A: 'y'.charCodeAt(0),
        CONFIG_TS_M: 'm'.charCodeAt(0),
        CONFIG_TS_WIDE: 0,
      });
      const wide = new Map([...letters, ['CONFIG_TS_WIDE', 'y']]);
      expect(() => buildKconfig(btf, wide, 1, () => true)).toThrow(
        /kconfig extern CONFIG_TS_WIDE: 'y' is a bool or tristate value: declare the extern as bool, enum libbpf_tristate or char/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a value its integer extern cannot hold, as libbpf does, instead of cutting it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-kconfig-'));
    try {
      writeFileSync(
        join(dir, 'k.bpf.c'),
        `extern unsigned char CONFIG_TS_U8 __attribute__((section(".kconfig")));
         extern short CONFIG_TS_S16 __attribute__((section(".kconfig")));
         extern unsigned long long CONFIG_TS_U64 __attribute__((section(".kconfig")));
         long out;
         __attribute__((section("xdp"), used)) int k(void *ctx) { out = CONFIG_TS_U8 + CONFIG_TS_S16 + CONFIG_TS_U64; return 2; }`,
      );
      compileBpfC(join(dir, 'k.bpf.c'), join(dir, 'k.o'));
      const btf = Btf.parse(loadCollectionSpec(readFileSync(join(dir, 'k.o'))).btf!);
      const build = (u8: string, s16: string, u64: string) =>
        buildKconfig(
          btf,
          new Map([
            ['CONFIG_TS_U8', u8],
            ['CONFIG_TS_S16', s16],
            ['CONFIG_TS_U64', u64],
          ]),
          1,
          () => false,
        );
      expect(build('255', '-32768', '0xffffffffffffffff').values).toEqual({
        CONFIG_TS_U8: 255,
        CONFIG_TS_S16: -32768,
        CONFIG_TS_U64: 2n ** 64n - 1n,
      });
      expect(() => build('1000', '0', '0')).toThrow(KconfigError);
      expect(() => build('1000', '0', '0')).toThrow(
        /kconfig extern CONFIG_TS_U8: '1000' does not fit its unsigned 1-byte integer \(0\.\.255\)/,
      );
      expect(() => build('-1', '0', '0')).toThrow(/CONFIG_TS_U8: '-1' does not fit/);
      expect(() => build('0', '32768', '0')).toThrow(/CONFIG_TS_S16: '32768' does not fit its signed 2-byte/);
      expect(() => build('0', '0', '0x10000000000000000')).toThrow(
        /CONFIG_TS_U64: '0x10000000000000000' does not fit/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a missing option unless it is weak', () => {
    const spec = loadCollectionSpec(compileFixture('kconfig.bpf.c'));
    const btf = Btf.parse(spec.btf!);
    expect(() => buildKconfig(btf, new Map(), 1, () => false)).toThrow(/CONFIG_HZ: is not set/);
  });
});

describeKernel('kconfig externs in a loaded program', () => {
  it('reads CONFIG_HZ, bool, tristate, LINUX_KERNEL_VERSION and a weak missing option', () => {
    const spec = loadCollectionSpec(compileFixture('kconfig.bpf.c'));
    const btf = Btf.parse(spec.btf!);
    const weak = new Set(spec.elf.symbols.filter((s) => s.bind === SymbolBind.WEAK).map((s) => s.name));
    const kconfig = buildKconfig(btf, config, kernelVersion().code, (n) => weak.has(n));
    const zero = new Uint8Array(4);
    const kmap = mapCreate({
      mapType: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: kconfig.contents.byteLength,
      maxEntries: 1,
      mapFlags: BpfMapCreateFlag.RDONLY_PROG,
    });
    const dataFds = new Map<string, number>();
    for (const d of spec.dataSections.values()) {
      const fd = mapCreate({
        mapType: BpfMapType.ARRAY,
        keySize: 4,
        valueSize: d.contents.byteLength,
        maxEntries: 1,
      });
      dataFds.set(d.name, fd);
      mapUpdateElem(fd, zero, d.contents);
    }
    mapUpdateElem(kmap, zero, kconfig.contents);
    const prog = spec.programs.get('read_config')!;
    try {
      const insns = relocate(prog, {
        mapFd: () => undefined,
        dataFd: (s) => (s === '.kconfig' ? kmap : dataFds.get(s)),
        extern: (name) => {
          const e = kconfig.externs.get(name);
          return e ? { kconfigOffset: e.offset } : undefined;
        },
      });
      const fd = progLoad({ progType: prog.sectionDef.progType, insns, license: 'GPL' });
      expect(progTestRun({ progFd: fd, dataIn: new Uint8Array(64) }).retval).toBe(2);
      close(fd);
      const read = (name: string) => {
        const section = [...spec.dataSections.values()].find((d) => d.variables.has(name))!;
        const out = new Uint8Array(section.contents.byteLength);
        mapLookupElem(dataFds.get(section.name)!, zero, out);
        return new DataView(out.buffer).getBigUint64(section.variables.get(name)!.offset, true);
      };
      expect(read('out_hz')).toBe(BigInt(config.get('CONFIG_HZ')!));
      expect(read('out_syscall')).toBe(1n);
      expect(read('out_jit')).toBe(config.get('CONFIG_BPF_JIT') === 'y' ? 1n : 2n);
      expect(read('out_version')).toBe(BigInt(kernelVersion().code));
      expect(read('out_missing')).toBe(0n);
    } finally {
      close(kmap);
      for (const fd of dataFds.values()) close(fd);
    }
  });
});
