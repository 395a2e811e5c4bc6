import { describeKernel } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { probeHelpers } from '../scripts/probe-helpers.js';
import { readUapiData } from '../scripts/uapi-data.js';
import {
  allowedHelpers,
  BpfAttachType,
  BpfFunc,
  BpfProgType,
  HELPER_SIGNATURES,
  progTypeName,
  unprobedHelperAccess,
} from '../src/index.js';

describe('allowedHelpers', () => {
  it('gives the helpers of a probed pair', () => {
    const xdp = allowedHelpers(BpfProgType.XDP, BpfAttachType.XDP)!;
    expect(xdp.has(BpfFunc.xdp_adjust_head)).toBe(true);
    expect(xdp.has(BpfFunc.redirect_map)).toBe(true);
    expect(xdp.has(BpfFunc.skb_load_bytes)).toBe(false);
    const filter = allowedHelpers(BpfProgType.SOCKET_FILTER)!;
    expect(filter.has(BpfFunc.skb_load_bytes)).toBe(true);
    expect(filter.has(BpfFunc.xdp_adjust_head)).toBe(false);
  });

  it('takes the set all attach types agree on for an attach type the probe did not record', () => {
    expect(allowedHelpers(BpfProgType.XDP)).toBe(allowedHelpers(BpfProgType.XDP, BpfAttachType.XDP_DEVMAP));
    expect(unprobedHelperAccess(BpfProgType.XDP)).toBeUndefined();
  });

  it('gives undefined with the reason for a type that was not probed', () => {
    expect(allowedHelpers(BpfProgType.TRACING, BpfAttachType.TRACE_FENTRY)).toBeUndefined();
    expect(unprobedHelperAccess(BpfProgType.TRACING, BpfAttachType.TRACE_FENTRY)).toMatch(/attach BTF id/);
    // cgroup/sock_addr helpers differ by attach type (bind has bpf_bind): no guess for an unknown one.
    expect(allowedHelpers(BpfProgType.CGROUP_SOCK_ADDR)).toBeUndefined();
    expect(unprobedHelperAccess(BpfProgType.CGROUP_SOCK_ADDR)).toMatch(/depend on the attach type/);
  });
});

/**
 * Helpers a kernel build may refuse although the build the data was probed on allowed them: a
 * difference in these is accepted either way, any other difference fails. The 6.18.44 sandbox
 * build v1300 refuses bpf_xdp_adjust_meta to XDP programs ("program of this type cannot use
 * helper", from C as from here); v1272, the data's, allowed it, as mainline's xdp_func_proto does.
 */
const BUILD_DEPENDENT: Readonly<Record<string, readonly string[]>> = { BPF_XDP: ['xdp_adjust_meta'] };

describeKernel('helperAccess of data/bpf-uapi.json against this kernel', () => {
  const data = readUapiData();
  const cases = [
    { progType: BpfProgType.XDP, attachType: BpfAttachType.XDP, name: 'BPF_XDP' },
    { progType: BpfProgType.SOCKET_FILTER, attachType: undefined, name: null },
  ];
  for (const c of cases) {
    it(`${c.progType}/${c.name}: the recorded helpers are the ones this kernel allows`, () => {
      const recorded = data.helperAccess.probed.find(
        (r) => r.progType === `BPF_PROG_TYPE_${progTypeName(c.progType)}` && r.attachType === c.name,
      )!;
      const probed = probeHelpers({ progType: c.progType, attachType: c.attachType, sleepable: false });
      const buildDependent = new Set(BUILD_DEPENDENT[c.name ?? ''] ?? []);
      const firm = (helpers: readonly string[]) => helpers.filter((h) => !buildDependent.has(h));
      expect(firm(probed)).toEqual(firm(recorded.helpers));
      expect(probed.length).toBeLessThan(HELPER_SIGNATURES.length);
    });
  }
});
