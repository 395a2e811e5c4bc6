import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { pmuType, uprobeEventLine, uprobePerfAttr } from '../src/attach/uprobe.js';
import {
  attachUprobe,
  attachUprobeMulti,
  ElfError,
  ElfSymbols,
  SymbolNotFoundError,
  uprobeOffset,
} from '../src/index.js';
import { Counter, gccTarget } from './helpers.js';

const SOURCE = `
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) int ts_ebpf_target(int x) { __asm__ volatile(""); return x + 1; }
__attribute__((noinline)) int ts_ebpf_other(int x) { __asm__ volatile(""); return x * 2; }
int ts_ebpf_zeroed; /* in .bss: memory only, no file bytes */
int main(int argc, char **argv) {
  int n = atoi(argv[1]), s = 0;
  char c;
  if (argc > 2 && read(0, &c, 1) != 1) return 2;
  for (int i = 0; i < n; i++) s += ts_ebpf_target(i) + ts_ebpf_other(i);
  printf("%d\\n", s);
  return 0;
}
`;

const target = gccTarget(SOURCE, 'uprobe');

function run(n: number): void {
  const r = spawnSync(target.path, [String(n)]);
  if (r.status !== 0) throw new Error(`target failed: ${r.stderr}`);
}

describeKernel('uprobes', () => {
  it('reads ELF symbols and turns them into file offsets', () => {
    const elf = ElfSymbols.open(target.path);
    const sym = elf.find('ts_ebpf_target');
    expect(sym).toMatchObject({ type: 2, table: 'symtab' });
    const nm = execFileSync('nm', [target.path], { encoding: 'utf8' });
    const addr = /^([0-9a-f]+) T ts_ebpf_target$/m.exec(nm)?.[1];
    expect(sym!.address).toBe(BigInt(`0x${addr}`));
    // In a PIE built by gcc the text segment maps at its file offset.
    const offset = elf.symbolOffset('ts_ebpf_target');
    const objdump = execFileSync('objdump', ['-d', '-F', target.path], { encoding: 'utf8' });
    const fileOff = /<ts_ebpf_target> \(File Offset: 0x([0-9a-f]+)\)/.exec(objdump)?.[1];
    expect(offset).toBe(BigInt(`0x${fileOff}`));
    expect(() => elf.symbolOffset('nope')).toThrow(SymbolNotFoundError);
    // A .bss variable has an address but no file offset: no code there for a probe.
    expect(elf.find('ts_ebpf_zeroed')).toMatchObject({ type: 1 });
    expect(() => elf.symbolOffset('ts_ebpf_zeroed')).toThrow(ElfError);
    expect(() => elf.symbolOffset('ts_ebpf_zeroed')).toThrow(
      new RegExp(
        `^${target.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: symbol ts_ebpf_zeroed: address 0x[0-9a-f]+ is in no loadable segment's file bytes`,
      ),
    );
    expect(elf.find('printf')).toBeUndefined(); // an undefined import has no address
  });

  it('encodes the uprobe perf_event_attr', () => {
    const a = uprobePerfAttr(9, '/bin/x', 0x1234n, true);
    expect(a).toMatchObject({ type: 9, config: 1n, probeName: '/bin/x', config2: 0x1234n });
    expect(uprobePerfAttr(9, '/bin/x', 0n, false, 0x40).config).toBe(0x40n << 32n);
  });

  it('a uprobe and a uretprobe count calls of a function in a gcc-built binary', () => {
    expect(pmuType('uprobe')).toBeGreaterThan(0);
    for (const retprobe of [false, true]) {
      using c = new Counter();
      using p = c.program(BpfProgType.KPROBE);
      {
        using link = attachUprobe(p, { path: target.path, symbol: 'ts_ebpf_target', retprobe });
        expect(link.kind).toBe(retprobe ? 'uretprobe' : 'uprobe');
        expect(link.info()).toMatchObject({
          type: 'perf_event',
          event: retprobe ? 'uretprobe' : 'uprobe',
          path: target.path,
          offset: Number(uprobeOffset({ path: target.path, symbol: 'ts_ebpf_target' })),
        });
        run(7);
        expect(c.value).toBe(7n);
      }
      run(5);
      expect(c.value).toBe(7n);
    }
  });

  it('one program attaches twice to one function: each uprobe attach makes its own event (no EEXIST)', () => {
    for (const via of ['pmu', 'tracefs'] as const) {
      using c = new Counter();
      using p = c.program(BpfProgType.KPROBE);
      using first = attachUprobe(p, { path: target.path, symbol: 'ts_ebpf_target', via });
      using second = attachUprobe(p, { path: target.path, symbol: 'ts_ebpf_target', via });
      run(3);
      expect(c.value).toBe(6n);
      expect([first.closed, second.closed]).toEqual([false, false]);
    }
  });

  it('the tracefs uprobe_events path attaches, counts and removes its event', () => {
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE);
    expect(uprobeEventLine('ev', '/bin/x', 0x1a0n, true, 0x10)).toBe('r:ts_ebpf/ev /bin/x:0x1a0(0x10)');
    {
      using link = attachUprobe(p, { path: target.path, symbol: 'ts_ebpf_other', via: 'tracefs' });
      expect(link.isBpfLink).toBe(false);
      expect(readFileSync('/sys/kernel/tracing/uprobe_events', 'utf8')).toMatch(/ts_ebpf\/ts_ebpf_other_/);
      run(3);
      expect(c.value).toBe(3n);
    }
    expect(readFileSync('/sys/kernel/tracing/uprobe_events', 'utf8')).not.toMatch(
      `ts_ebpf_other_${process.pid}_`,
    );
    run(2);
    expect(c.value).toBe(3n);
  });

  it('a uprobe with a pid filter counts only that process', async () => {
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE);
    const child = spawn(target.path, ['4', 'wait'], { stdio: ['pipe', 'ignore', 'inherit'] });
    try {
      using _link = attachUprobe(p, { path: target.path, symbol: 'ts_ebpf_target', pid: child.pid! });
      run(3); // another process: not counted
      const done = new Promise((r) => child.on('close', r));
      child.stdin.end('go');
      await done;
      expect(c.value).toBe(4n);
    } finally {
      child.kill();
    }
  });

  it('uprobe_multi probes several symbols through one link', () => {
    using c = new Counter();
    using p = c.program(BpfProgType.KPROBE, { expectedAttachType: BpfAttachType.TRACE_UPROBE_MULTI });
    {
      using link = attachUprobeMulti(p, { path: target.path, symbols: ['ts_ebpf_target', 'ts_ebpf_other'] });
      expect(link.info()).toMatchObject({ type: 'uprobe_multi', path: target.path, count: 2, pid: 0 });
      run(6);
      expect(c.value).toBe(12n);
    }
    run(2);
    expect(c.value).toBe(12n);
  });
});
