import { describe, expect, it } from 'vitest';
import {
  BpfAttachType,
  BpfProgType,
  resolveSection,
  SECTION_DEFS,
  sectionDef,
  sectionNamesOf,
  UnknownNameError,
} from '../src/index.js';

describe('libbpf section names', () => {
  it('resolve to program type, expected attach type and target', () => {
    expect(resolveSection('xdp')).toMatchObject({
      progType: BpfProgType.XDP,
      expectedAttachType: BpfAttachType.XDP,
    });
    expect(resolveSection('kprobe/do_unlinkat')).toMatchObject({
      progType: BpfProgType.KPROBE,
      target: 'do_unlinkat',
    });
    expect(resolveSection('tcx/ingress')).toMatchObject({ expectedAttachType: BpfAttachType.TCX_INGRESS });
    expect(resolveSection('netfilter')).toMatchObject({ progType: BpfProgType.NETFILTER });
    expect(resolveSection('.data')).toBeUndefined();
    expect(resolveSection('socket/extra')).toBeUndefined();
  });

  it('every pattern names a known program type and attach type', () => {
    const progTypes = new Set<number>(Object.values(BpfProgType));
    const attachTypes = new Set<number>(Object.values(BpfAttachType));
    for (const d of SECTION_DEFS) {
      expect(progTypes.has(d.progType), d.pattern).toBe(true);
      if (d.expectedAttachType !== undefined)
        expect(attachTypes.has(d.expectedAttachType), d.pattern).toBe(true);
    }
  });

  it('list the names of one program type', () => {
    expect(sectionNamesOf(BpfProgType.SOCKET_FILTER)).toEqual(['socket']);
    expect(sectionNamesOf(BpfProgType.SK_LOOKUP)).toEqual(['sk_lookup']);
    expect(sectionNamesOf(BpfProgType.TRACEPOINT)).toEqual(['tracepoint', 'tracepoint/', 'tp', 'tp/']);
  });

  it('sectionDef throws for a name no convention knows, suggesting the nearest', () => {
    expect(sectionDef('cgroup/connect4').expectedAttachType).toBe(BpfAttachType.CGROUP_INET4_CONNECT);
    expect(() => sectionDef('xpd')).toThrow(UnknownNameError);
    expect(() => sectionDef('xpd')).toThrow("unknown section name 'xpd'; did you mean 'xdp'?");
  });
});
