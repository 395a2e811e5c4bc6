import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describe, expect, it } from 'vitest';
import { ElfError, EM_BPF, parseElf, resolveSection, SectionType, SymbolType } from '../src/index.js';
import { compileFixture } from './compile.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-elf-'));
describe('ELF reader', () => {
  for (const target of ['bpfel', 'bpfeb'] as const) {
    it(`reads a clang ${target} object like llvm-readelf`, () => {
      const bytes = compileFixture('sample.bpf.c', target);
      const elf = parseElf(bytes);
      expect(elf.header.byteOrder).toBe(target === 'bpfel' ? 'little' : 'big');
      expect(elf.header.machine).toBe(EM_BPF);
      const path = join(dir, `check-${target}.o`);
      writeFileSync(path, bytes);
      const readelf = execFileSync('llvm-readelf-19', ['-S', '-W', '-s', '-r', path], { encoding: 'utf8' });
      const sectionNames = [
        ...readelf.matchAll(
          /^\s*\[\s*(\d+)\]\s+(\S+)\s+(PROGBITS|NOBITS|STRTAB|SYMTAB|REL|RELA|LLVM_ADDRSIG)/gm,
        ),
      ].map((m) => `${m[1]} ${m[2]}`);
      expect(elf.sections.filter((s) => s.index > 0).map((s) => `${s.index} ${s.name}`)).toEqual(
        sectionNames,
      );
      const funcs = elf.symbols
        .filter((s) => s.type === SymbolType.FUNC)
        .map((s) => s.name)
        .sort();
      expect(funcs).toEqual(['bump', 'on_connect', 'on_getpid', 'on_xdp']);
      const xdp = elf.section('xdp')!;
      const rels = elf.relocations(elf.relocationSections().get(xdp.index)!);
      const named = rels.map((r) => elf.symbols[r.symbol]!.name);
      expect(named).toContain('hits');
      const relCount = [
        ...readelf.matchAll(/Relocation section '\.relxdp' at offset \S+ contains (\d+) entries/g),
      ][0]?.[1];
      expect(rels.length).toBe(Number(relCount));
      expect(new Uint8Array(elf.data(elf.section('license')!))).toEqual(new TextEncoder().encode('GPL\0'));
      expect(elf.section('.maps')?.type).toBe(SectionType.PROGBITS);
    });
  }

  it('rejects truncated and corrupt objects with ElfError', () => {
    const bytes = compileFixture('sample.bpf.c', 'bpfel');
    expect(() => parseElf(bytes.subarray(0, 10))).toThrow(ElfError);
    expect(() => parseElf(bytes.subarray(0, bytes.length - 100))).toThrow(/truncated/);
    const bad = new Uint8Array(bytes);
    bad[0] = 0;
    expect(() => parseElf(bad)).toThrow(/bad magic/);
    const elf32 = new Uint8Array(bytes);
    elf32[4] = 1;
    expect(() => parseElf(elf32)).toThrow(/ELF64/);
  });

  it('fuzz: mutated objects throw nothing but ElfError', () => {
    const bytes = compileFixture('sample.bpf.c', 'bpfel');
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 3000; i++) {
      const m = new Uint8Array(bytes.subarray(0, i % 7 === 0 ? rand() % bytes.length : bytes.length));
      for (let f = 0; f < 1 + (rand() % 8); f++) if (m.length) m[rand() % m.length] = rand() & 0xff;
      try {
        const elf = parseElf(m);
        for (const s of elf.sections) elf.data(s);
        void elf.symbols;
        for (const r of elf.relocationSections().values()) elf.relocations(r);
      } catch (e) {
        if (!(e instanceof ElfError)) throw new Error(`iteration ${i}: ${String(e)}`);
      }
    }
  });
});

describe('SEC() conventions', () => {
  it('resolve program types, attach types, flags and targets', () => {
    expect(resolveSection('xdp')).toMatchObject({
      progType: BpfProgType.XDP,
      expectedAttachType: BpfAttachType.XDP,
    });
    expect(resolveSection('xdp.frags')).toMatchObject({ progType: BpfProgType.XDP, xdpFrags: true });
    expect(resolveSection('kprobe/do_unlinkat')).toMatchObject({
      progType: BpfProgType.KPROBE,
      target: 'do_unlinkat',
    });
    expect(resolveSection('tracepoint/syscalls/sys_enter_getpid')).toMatchObject({
      progType: BpfProgType.TRACEPOINT,
      target: 'syscalls/sys_enter_getpid',
    });
    expect(resolveSection('tp/sched/sched_switch')?.target).toBe('sched/sched_switch');
    expect(resolveSection('fentry.s/do_sys_open')).toMatchObject({ sleepable: true, target: 'do_sys_open' });
    expect(resolveSection('cgroup/connect4')).toMatchObject({
      progType: BpfProgType.CGROUP_SOCK_ADDR,
      expectedAttachType: BpfAttachType.CGROUP_INET4_CONNECT,
    });
    expect(resolveSection('tcx/ingress')?.expectedAttachType).toBe(46);
    expect(resolveSection('sk_skb/stream_verdict')?.expectedAttachType).toBe(
      BpfAttachType.SK_SKB_STREAM_VERDICT,
    );
    expect(resolveSection('iter/task')).toMatchObject({ progType: BpfProgType.TRACING, target: 'task' });
    expect(resolveSection('struct_ops/tcp_cong_avoid')?.progType).toBe(BpfProgType.STRUCT_OPS);
    expect(resolveSection('netfilter')?.progType).toBe(32);
    expect(resolveSection('.text')).toBeUndefined();
    expect(resolveSection('xdpfoo')).toBeUndefined();
    expect(resolveSection('socket/extra')).toBeUndefined();
  });
});
