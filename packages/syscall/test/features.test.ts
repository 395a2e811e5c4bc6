import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describeKernel } from '@ts-ebpf/test-utils';
import { BpfFunc } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  BpfAttachType,
  BpfMapCreateFlag,
  BpfMapType,
  BpfProgType,
  type BpfSyscallError,
  close,
  features,
  hasCapability,
  kernelVersion,
  mapCreate,
  missingCapabilities,
  onlineNumaNodes,
  possibleCpuCount,
  possibleCpus,
  probeAttachType,
  probeHelper,
  probeMapType,
  probeProgType,
} from '../src/index.js';
import { parseCpuList, parseKernelRelease } from '../src/system.js';

describe('system facts (pure parsing)', () => {
  it('parses kernel releases and CPU lists', () => {
    expect(parseKernelRelease('6.18.44-fc-v782')).toMatchObject({
      major: 6,
      minor: 18,
      patch: 44,
      code: 0x6122c,
    });
    expect(parseKernelRelease('5.4')).toMatchObject({ major: 5, minor: 4, patch: 0 });
    expect(parseCpuList('0-3,5,7-8\n')).toEqual([0, 1, 2, 3, 5, 7, 8]);
    expect(() => parseCpuList('a-b')).toThrow(/cannot parse/);
  });
});

describeKernel('system and feature probes', () => {
  it('reads the kernel version, capabilities and CPUs like the system tools do', () => {
    expect(kernelVersion().release).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(hasCapability('CAP_BPF') || hasCapability('CAP_SYS_ADMIN')).toBe(true);
    expect(() => hasCapability('CAP_NOPE' as never)).toThrow(/unknown capability/);
    // Root here: CAP_SYS_ADMIN stands for the rest; without it, what hasCapability lacks.
    const needs = ['CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'] as const;
    expect(missingCapabilities(needs)).toEqual(
      hasCapability('CAP_SYS_ADMIN') ? [] : needs.filter((c) => !hasCapability(c)),
    );
    expect(possibleCpus().length).toBeGreaterThan(0);
    expect(possibleCpuCount()).toBe(possibleCpus().at(-1)! + 1);
    // Node 0 is online on every machine (the only node of a kernel without NUMA).
    const nodes = onlineNumaNodes();
    expect(nodes).toContain(0);
    if (existsSync('/sys/devices/system/node/online'))
      expect(nodes).toEqual(parseCpuList(readFileSync('/sys/devices/system/node/online', 'utf8')));
  });

  it('map type probes agree with the kernel', () => {
    for (const t of [BpfMapType.HASH, BpfMapType.RINGBUF, BpfMapType.LPM_TRIE, BpfMapType.TASK_STORAGE]) {
      expect(probeMapType(t)).toEqual({ supported: true });
    }
    expect(probeMapType(BpfMapType.ARRAY_OF_MAPS).supported).toBe(true);
    // Some kernels refuse arenas even to root (seen: EPERM on a VM of the development
    // machine's kind): the probe must say what creating one says, and nothing but EPERM is
    // an acceptable refusal.
    const arena = probeMapType(BpfMapType.ARENA);
    let created: string | undefined;
    try {
      close(
        mapCreate({
          mapType: BpfMapType.ARENA,
          keySize: 0,
          valueSize: 0,
          maxEntries: 1,
          mapFlags: BpfMapCreateFlag.MMAPABLE,
        }),
      );
    } catch (e) {
      created = (e as BpfSyscallError).code;
    }
    expect([undefined, 'EPERM']).toContain(created);
    expect(arena).toEqual(
      created === undefined ? { supported: true } : { supported: false, reason: created },
    );
    expect(probeMapType(200)).toEqual({ supported: false, reason: 'EINVAL' });
  });

  it('program type probes agree with the kernel', () => {
    expect(probeProgType(BpfProgType.XDP).supported).toBe(true);
    expect(probeProgType(BpfProgType.SK_LOOKUP).supported).toBe(true);
    expect(probeProgType(BpfProgType.CGROUP_SOCK_ADDR).supported).toBe(true);
    expect(probeProgType(BpfProgType.TRACING).supported).toBe(true);
    expect(probeProgType(300)).toEqual({ supported: false, reason: 'EINVAL' });
  });

  it('helper probes tell allowed from forbidden helpers', () => {
    expect(probeHelper(BpfProgType.SOCKET_FILTER, BpfFunc.map_lookup_elem).supported).toBe(true);
    expect(probeHelper(BpfProgType.XDP, BpfFunc.xdp_adjust_head).supported).toBe(true);
    expect(probeHelper(BpfProgType.SOCKET_FILTER, BpfFunc.probe_write_user)).toMatchObject({
      supported: false,
    });
    expect(probeHelper(BpfProgType.SOCKET_FILTER, 5000)).toMatchObject({
      supported: false,
      reason: 'invalid func',
    });
  });

  it('attach type probes', () => {
    expect(probeAttachType(BpfAttachType.CGROUP_INET_INGRESS).supported).toBe(true);
    expect(probeAttachType(BpfAttachType.SK_LOOKUP).supported).toBe(true);
    expect(probeAttachType(46 /* TCX_INGRESS */).supported).toBe(true);
    expect(probeAttachType(999)).toEqual({ supported: false, reason: 'unknown attach type' });
  });

  it('features() reports everything, and the CLI prints it', () => {
    const report = features();
    expect(report.kernel).toBe(kernelVersion().release);
    expect(report.mapTypes.HASH).toEqual({ supported: true });
    expect(report.progTypes.XDP).toEqual({ supported: true });
    const out = execFileSync(
      'npx',
      ['tsx', '--conditions=@ts-ebpf/source', new URL('../src/cli.ts', import.meta.url).pathname, '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(out).mapTypes.RINGBUF).toEqual({ supported: true });
  });
});
