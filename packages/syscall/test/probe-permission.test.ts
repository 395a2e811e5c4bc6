import { describeKernel, runTsChild } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { BpfMapType, BpfProgType, probeBoundedLoops, probeMapType, probeProgType } from '../src/index.js';

interface Outcome {
  answer?: unknown;
  thrown?: {
    name: string;
    typed: boolean;
    ebpf: boolean;
    probe: string;
    missing: string[];
    code: string;
    message: string;
  };
}

/** The probes of fixtures/probe-unprivileged.ts run without `caps` (setpriv names: `bpf`, `net_admin` …). */
function probesWithout(caps: readonly string[]): Record<string, Outcome[]> {
  const drop = caps.map((c) => `-${c}`).join(',');
  const r = runTsChild(new URL('./fixtures/probe-unprivileged.ts', import.meta.url), [], 120_000, [
    'setpriv',
    `--inh-caps=${drop}`,
    `--bounding-set=${drop}`,
  ]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, Outcome[]>;
}

describeKernel('feature probes without the privilege they need', () => {
  it('answer as root: HASH, XDP and bounded loops are supported', () => {
    expect(probeMapType(BpfMapType.HASH)).toEqual({ supported: true });
    expect(probeProgType(BpfProgType.XDP)).toEqual({ supported: true });
    expect(probeBoundedLoops()).toEqual({ supported: true });
  });

  it('throw ProbePermissionError naming the probe and CAP_BPF without CAP_BPF and CAP_SYS_ADMIN, and cache nothing', () => {
    const out = probesWithout(['bpf', 'sys_admin', 'perfmon']);
    for (const [name, probe, missing] of [
      ['hash', 'probeMapType(HASH)', ['CAP_BPF']],
      ['xdp', 'probeProgType(XDP)', ['CAP_BPF']],
      ['tracepoint', 'probeProgType(TRACEPOINT)', ['CAP_BPF', 'CAP_PERFMON']],
      ['socketFilter', 'probeProgType(SOCKET_FILTER)', ['CAP_BPF']],
      ['xdpAttach', 'probeAttachType(XDP)', ['CAP_BPF']],
      ['loops', 'probeBoundedLoops()', ['CAP_BPF']],
      ['large', 'probeLargeInstructions()', ['CAP_BPF']],
    ] as const) {
      // twice the same: the first refusal was not cached as an answer
      for (const outcome of out[name]!) {
        expect(outcome.answer, name).toBeUndefined();
        expect(outcome.thrown, name).toMatchObject({
          name: 'ProbePermissionError',
          typed: true,
          ebpf: true,
          probe,
          missing,
        });
        expect(['EPERM', 'EACCES', 'E2BIG']).toContain(outcome.thrown!.code);
        expect(outcome.thrown!.message).toContain(`feature probe ${probe} could not run`);
        expect(outcome.thrown!.message).toContain(`lacks ${missing.join(' and ')} (or CAP_SYS_ADMIN)`);
      }
    }
    // features() stops at the first probe that could not run, with its error
    expect(out.features![0]!.thrown).toMatchObject({
      name: 'ProbePermissionError',
      probe: 'probeMapType(HASH)',
    });
  });

  it('name CAP_NET_ADMIN for a networking program type when only it is missing, and still answer the others', () => {
    // CAP_SYS_ADMIN stands for CAP_NET_ADMIN (as for CAP_BPF and CAP_PERFMON): drop both
    const out = probesWithout(['net_admin', 'sys_admin']);
    expect(out.xdp![0]!.thrown).toMatchObject({ probe: 'probeProgType(XDP)', missing: ['CAP_NET_ADMIN'] });
    expect(out.hash![0]).toEqual({ answer: { supported: true } });
    expect(out.tracepoint![0]).toEqual({ answer: { supported: true } });
    expect(out.loops![0]).toEqual({ answer: { supported: true } });
  });

  it('ts-ebpf-features without CAP_BPF says which probe could not run and why, and exits 1', () => {
    const drop = '-bpf,-sys_admin,-perfmon';
    const r = runTsChild(new URL('../src/cli.ts', import.meta.url), [], 120_000, [
      'setpriv',
      `--inh-caps=${drop}`,
      `--bounding-set=${drop}`,
    ]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^ts-ebpf-features: feature probe probeMapType\(HASH\) could not run: .* lacks CAP_BPF/,
    );
    expect(r.status).toBe(1);
  });
});
