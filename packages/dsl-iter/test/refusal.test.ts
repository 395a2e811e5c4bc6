import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { exit, mov, R0 } from '@ts-ebpf/dsl';
import { Program } from '@ts-ebpf/programs';
import { BpfSyscallError, hasCapability } from '@ts-ebpf/syscall';
import { describeKernel, runTsChild } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { IterTargetError, iter, mapEntriesDump } from '../src/index.js';
import { loadIterator, probeIterTargets } from '../src/kernel.js';

// What an EPERM from loading an iterator is put down to: only what was checked, briefly.

const CHILD = new URL('./fixtures/unprivileged-child.ts', import.meta.url);

/** What the child prints: its capabilities, the probe and what two loads threw. */
interface ChildReport {
  caps: string[];
  probes: { target: string; available: boolean; reason?: string }[];
  task?: { name: string; message: string; cause?: string };
  elem?: { name: string; message: string; cause?: string };
}

function runChild(drop: string): ChildReport {
  const r = runTsChild(CHILD, [], 60_000, ['setpriv', `--inh-caps=${drop}`, `--bounding-set=${drop}`]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as ChildReport;
}

describeKernel('EPERM from loading an iterator', () => {
  const btf = kernelBtf();

  it('with the capabilities held: the reason says the kernel refused a program that only returns 0, and no more', () => {
    expect(hasCapability('CAP_BPF') && hasCapability('CAP_PERFMON')).toBe(true);
    // Every target the kernel's BTF has that does not load, with the error of loading a
    // program that only returns 0 (with a log): what the reason may say.
    const refused = probeIterTargets(btf).filter((p) => !p.available && !p.reason?.includes('not built in'));
    for (const p of refused) {
      let e: unknown;
      try {
        Program.load({ ...iter(btf, p.target).build([mov(R0, 0), exit()]), logLevel: 1 }).close();
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(BpfSyscallError);
      if ((e as BpfSyscallError).code !== 'EPERM') {
        expect(p.reason).toBe((e as Error).message);
        continue;
      }
      expect(p.reason).toMatch(
        /^EPERM for a program that only returns 0, although this process holds CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN(; the verifier processed 0 instructions and logged no reason)?$/,
      );
      expect(p.reason!.length).toBeLessThan(200);
      // The verifier's part only when its log holds nothing but its statistics.
      expect(p.reason!.includes('verifier')).toBe(
        /^processed 0 insns[^\n]*$/.test((e as BpfSyscallError).log!.trim()),
      );
    }
    // On this project's test machine (Linux 6.18) the three map-element targets are refused so.
    if (refused.length > 0)
      expect(refused.map((p) => [p.target, p.reason?.slice(0, 5)]).sort()).toEqual([
        ['bpf_map_elem', 'EPERM'],
        ['bpf_sk_storage_map', 'EPERM'],
        ['sockmap', 'EPERM'],
      ]);
  });

  it('loadIterator throws IterTargetError when a program that only returns 0 is refused too', () => {
    const probe = probeIterTargets(btf).find((p) => p.target === 'bpf_map_elem')!;
    if (probe.available) return; // a kernel that loads it: nothing to diagnose
    let e: unknown;
    try {
      // Refused before the link would use the map: any descriptor stands for it.
      loadIterator(mapEntriesDump(btf, 4, 8), { params: { map: 1 } }).close();
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(IterTargetError);
    expect((e as Error).message).toMatch(
      /^iterator target 'bpf_map_elem': EPERM, and also for a program that only returns 0, although this process holds /,
    );
    expect((e as Error).message).toBe(
      `iterator target 'bpf_map_elem': ${probe.reason!.replace(/^EPERM for/, 'EPERM, and also for')}`,
    );
    expect((e as Error).cause).toMatchObject({ code: 'EPERM' });
  });

  it('without CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): every target, and the reason names what is lacking', () => {
    const lack =
      'EPERM: loading an iterator needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); this process lacks';
    for (const [drop, caps, missing] of [
      ['-all', [], 'CAP_BPF and CAP_PERFMON'],
      ['-perfmon,-sys_admin', ['CAP_BPF'], 'CAP_PERFMON'],
    ] as const) {
      const r = runChild(drop);
      expect(r.caps).toEqual(caps);
      const inBtf = r.probes.filter((p) => !p.reason?.includes('not built in'));
      expect(inBtf.length).toBeGreaterThan(10);
      for (const p of inBtf)
        expect([p.target, p.available, p.reason]).toEqual([p.target, false, `${lack} ${missing}`]);
      for (const [target, thrown] of [
        ['task', r.task],
        ['bpf_map_elem', r.elem],
      ] as const)
        expect(thrown).toEqual({
          name: 'IterTargetError',
          message: `iterator target '${target}': ${lack} ${missing}`,
          cause: 'EPERM',
        });
    }
  });
});
