import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BpfMap, CodecError, perCpu, sum, u32 as U32, u64 as U64 } from '@ts-ebpf/maps';
import { Program, VerifierError } from '@ts-ebpf/programs';
import { BpfMapType, getpid, kernelVersion, possibleCpuCount } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { expect, it, onTestFinished, vi } from 'vitest';
import {
  AttachOptionsError,
  KernelSymbolNotFoundError,
  loadCollection,
  loadCollectionSpec,
  NameNotFoundError,
  readKernelConfig,
  Tristate,
} from '../src/index.js';
import { compileFixture } from './compile.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (b: Uint8Array | undefined) => new DataView(b!.buffer, b!.byteOffset).getBigUint64(0, true);

describeKernel('loadCollection', () => {
  it('loads maps, global data and linked programs that run and share state', () => {
    using c = loadCollection(compileFixture('sample.bpf.c'));
    expect([...c.programs.keys()].sort()).toEqual(['on_connect', 'on_getpid', 'on_xdp']);
    const xdp = c.program('on_xdp');
    for (let i = 0; i < 4; i++) expect(xdp.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(u64(c.map('counts').get(u32(0)))).toBe(4n);
    expect(c.variable('hits').getBigInt()).toBe(4n);
    c.variable('hits').set(100n);
    xdp.testRun({ data: new Uint8Array(64) });
    expect(c.variable('hits').getBigInt()).toBe(101n);
    expect(c.variable('limit').getBigInt()).toBe(7n);
    expect(() => c.variable('limit').set(1)).toThrow(/read-only/);
    expect(() => c.map('nope')).toThrow(/no map 'nope' in the collection \(maps: counts\)/);
    expect(() => c.map('nope')).toThrow(NameNotFoundError);
  });

  it('map(name, codecs) is a typed view of the same map, made once per codecs, closed with the collection', () => {
    const before = openFds();
    const c = loadCollection(compileFixture('sample.bpf.c'));
    const counts = c.map('counts', { key: U32, value: U64 });
    for (let i = 0; i < 3; i++) c.program('on_xdp').testRun({ data: new Uint8Array(64) });
    expect(counts.get(0)).toBe(3n); // what the program counted, typed
    counts.set(2, 42n);
    expect(u64(c.map('counts').get(u32(2)))).toBe(42n); // the same kernel map under the raw view
    expect(c.map('counts', { key: U32, value: U64 })).toBe(counts); // no second descriptor
    expect(counts.fd).not.toBe(c.map('counts').fd);
    const fds = openFds().size;
    expect(() => c.map('counts', { key: U64, value: U64 })).toThrow(CodecError);
    expect(() => c.map('counts', { key: U64, value: U64 })).toThrow(/counts/);
    expect(openFds().size).toBe(fds); // the refused view's descriptor was closed
    c.close();
    expect(counts.closed).toBe(true);
    expect(leakedFds(before)).toEqual([]);
  });

  it('map(name, codecs) of a per-CPU map takes perCpu(...) and refuses a plain value codec, as BpfMap.create does', () => {
    const before = openFds();
    const spec = loadCollectionSpec(compileFixture('sample.bpf.c'));
    spec.adjust.map('counts').setType(BpfMapType.PERCPU_ARRAY);
    const c = loadCollection(spec);
    // typed as one bigint, read as one per CPU: refused naming the map and the codec to give
    expect(() => c.map('counts', { key: U32, value: U64 })).toThrow(CodecError);
    expect(() => c.map('counts', { key: U32, value: U64 })).toThrow(
      /percpu_array map 'counts'.*value: percpu_array maps need a perCpu\(\.\.\.\) value codec.*give perCpu\(u64\), not u64/,
    );
    const counts: BpfMap<number, bigint[]> = c.map('counts', { key: U32, value: perCpu(U64) });
    for (let i = 0; i < 3; i++) c.program('on_xdp').testRun({ data: new Uint8Array(64) });
    expect(counts.get(0)).toHaveLength(possibleCpuCount());
    expect(sum(counts.get(0)!)).toBe(3n); // the runs counted on whichever CPU they ran
    counts.set(1, Array(possibleCpuCount()).fill(2n));
    expect(sum(counts.get(1)!)).toBe(BigInt(2 * possibleCpuCount()));
    c.close();
    expect(leakedFds(before)).toEqual([]);
  });

  it('close closes every program, map, data map and the BTF, whatever was closed before', () => {
    const before = openFds();
    const c = loadCollection(compileFixture('sample.bpf.c'));
    const objects = [...c.programs.values(), ...c.maps.values(), ...c.dataMaps.values()];
    const targets = new Map(objects.map((o) => [o.fd, openFds().get(o.fd)]));
    // one program closed by its owner first, and a global variable written (its data map mapped)
    c.program('on_getpid').close();
    c.variable('hits').set(5n);
    c.close();
    c.close();
    expect(objects.every((o) => o.closed)).toBe(true);
    // none of their numbers still names the same object (nothing in this test opens others)
    const now = openFds();
    expect([...targets].filter(([fd, target]) => now.get(fd) === target)).toEqual([]);
    expect(leakedFds(before)).toEqual([]);
  });

  it('rewrites const volatile globals before load', () => {
    using c = loadCollection(compileFixture('sample.bpf.c'), { constants: { limit: 0 } });
    // bump() returns k < limit: with limit 0 the XDP program returns 0 + 1
    expect(c.program('on_xdp').testRun({ data: new Uint8Array(64) }).retval).toBe(1);
    expect(() => loadCollection(compileFixture('sample.bpf.c'), { constants: { nope: 1 } })).toThrow(
      NameNotFoundError,
    );
    expect(() => loadCollection(compileFixture('sample.bpf.c'), { constants: { limit: 1n << 40n } })).toThrow(
      /does not fit/,
    );
  });

  it('creates map-in-map and prog_array maps with their initial values', () => {
    const pinRoot = `/sys/fs/bpf/ts-ebpf-elf-${process.pid}`;
    mkdirSync(pinRoot, { recursive: true });
    onTestFinished(() => rmSync(pinRoot, { recursive: true, force: true }));
    using c = loadCollection(compileFixture('maps.bpf.c'), { pinRoot });
    expect(existsSync(`${pinRoot}/pairs`)).toBe(true);
    expect(c.map('pairs').fd).toBeGreaterThan(0);
    const outer = c.map('outer');
    expect(outer.get(u32(1))).toBeDefined();
    expect(outer.get(u32(0))).toBeUndefined();
    expect(c.map('jumps').get(u32(0))).toBeDefined();
    expect(c.map('sized')).toBeDefined();
    expect(BpfMapType.ARRAY_OF_MAPS).toBe(12);
  });

  it('fills .kconfig externs from this kernel', () => {
    using c = loadCollection(compileFixture('kconfig.bpf.c'), { kconfig: readKernelConfig() });
    expect(c.program('read_config').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(c.variable('out_version').getBigInt()).toBe(BigInt(kernelVersion().code));
    expect(c.variable('out_hz').getBigInt()).toBe(BigInt(readKernelConfig().get('CONFIG_HZ')!));
  });

  it('kconfig: the externs as the load resolved them, typed, frozen, the values the program read', () => {
    const c = loadCollection(compileFixture('kconfig.bpf.c'));
    onTestFinished(() => c.close());
    expect(c.program('read_config').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    const read = (name: string) => c.variable(name).getBigInt();
    const text = (name: string) => {
      const b = c.variable(name).get();
      const end = b.indexOf(0);
      return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
    };
    // This kernel's version code from uname's release, as KERNEL_VERSION(a, b, c) makes it.
    const [major, minor, patch] = release().split(/[.-]/).map(Number) as [number, number, number];
    const config = readKernelConfig();
    expect(c.kconfig).toEqual({
      LINUX_KERNEL_VERSION: (major << 16) + (minor << 8) + Math.min(patch, 255),
      CONFIG_HZ: Number(config.get('CONFIG_HZ')),
      CONFIG_BPF_SYSCALL: true,
      CONFIG_BPF_JIT: config.get('CONFIG_BPF_JIT') === 'y' ? Tristate.YES : Tristate.MODULE,
      CONFIG_NR_CPUS: BigInt(config.get('CONFIG_NR_CPUS')!),
      CONFIG_LOCALVERSION: (config.get('CONFIG_LOCALVERSION') ?? '""').slice(1, -1),
      CONFIG_TS_EBPF_DOES_NOT_EXIST: 0,
      CONFIG_TS_EBPF_MISSING_BOOL: false,
      CONFIG_TS_EBPF_MISSING_TEXT: '',
    });
    const k = c.kconfig;
    expect(read('out_version')).toBe(BigInt(k.LINUX_KERNEL_VERSION as number));
    expect(read('out_hz')).toBe(BigInt(k.CONFIG_HZ as number));
    expect(read('out_syscall')).toBe(1n);
    expect(read('out_jit')).toBe(BigInt(k.CONFIG_BPF_JIT as number));
    expect(read('out_nr_cpus')).toBe(k.CONFIG_NR_CPUS);
    expect(text('out_localversion')).toBe(k.CONFIG_LOCALVERSION);
    expect([read('out_missing'), read('out_missing_bool'), read('out_missing_text')]).toEqual([0n, 0n, 0n]);
    expect(Object.isFrozen(k)).toBe(true);
    expect(() => {
      (k as Record<string, unknown>).CONFIG_HZ = 1;
    }).toThrow(TypeError);
    c.close();
    expect(c.kconfig.CONFIG_BPF_SYSCALL).toBe(true);
    using plain = loadCollection(compileFixture('sample.bpf.c'));
    expect(plain.kconfig).toEqual({});
    expect(Object.isFrozen(plain.kconfig)).toBe(true);
  });

  it('attaches programs by section name and detaches them on close', () => {
    const cgroup = `/sys/fs/cgroup/unified/ts-ebpf-elf-${process.pid}`;
    mkdirSync(cgroup, { recursive: true });
    try {
      const c = loadCollection(compileFixture('sample.bpf.c'));
      const before = u64(c.map('counts').get(u32(1)));
      const links = c.attach({ cgroup }, ['on_getpid', 'on_connect']);
      expect(links.map((l) => l.kind).sort()).toEqual(['cgroup', 'tracepoint']);
      for (let i = 0; i < 10; i++) getpid();
      const attached = u64(c.map('counts').get(u32(1)));
      expect(attached - before).toBeGreaterThanOrEqual(10n);
      expect(() => c.attach({}, ['on_xdp'])).toThrow(AttachOptionsError);
      expect(() => c.attach({}, ['on_xdp'])).toThrow(
        /on_xdp \(section xdp\): attach option 'interface': missing/,
      );
      const counts = c.map('counts');
      c.close();
      expect(() => counts.get(u32(1))).toThrow(/closed/);
    } finally {
      rmdirSync(cgroup);
    }
  });

  it('passes line_info so a verifier error shows the C source line', () => {
    let error: unknown;
    try {
      loadCollection(compileFixture('bad-access.bpf.c'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VerifierError);
    const log = (error as VerifierError).log;
    expect(log).toMatch(/invalid access to map value/);
    expect(log).toMatch(/return \(int\)v\[3\]/);
  });

  it('prepares every program before loading any: one that cannot be relocated fails the load first', () => {
    const load = vi.spyOn(Program, 'load');
    onTestFinished(() => load.mockRestore());
    // Two programs; the second calls a kfunc no kernel has, so it cannot be relocated.
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-elf-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'prepare-first.bpf.c'),
      `#define SEC(name) __attribute__((section(name), used))
extern void bpf_ts_ebpf_no_such_kfunc(void) __attribute__((section(".ksyms")));
SEC("xdp") int loads_fine(void *ctx) { return 2; }
SEC("xdp") int cannot_relocate(void *ctx) { bpf_ts_ebpf_no_such_kfunc(); return 2; }
char LICENSE[] SEC("license") = "GPL";
`,
    );
    compileBpfC(join(dir, 'prepare-first.bpf.c'), join(dir, 'prepare-first.bpf.o'));
    const bytes = readFileSync(join(dir, 'prepare-first.bpf.o'));
    expect(() => loadCollection(bytes)).toThrow(KernelSymbolNotFoundError);
    expect(() => loadCollection(bytes)).toThrow(/cannot_relocate/);
    // The kernel verified neither program: loads_fine comes first but was not loaded.
    expect(load).not.toHaveBeenCalled();
    // Without the program that cannot be relocated, the other loads.
    using c = loadCollection(bytes, { programs: ['loads_fine'] });
    expect(load).toHaveBeenCalledTimes(1);
    expect(c.program('loads_fine').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  });
});
