import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, returns, VethPair } from '@ts-ebpf/test-utils';
import { NetdevXdpAct } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attachXdp, InterfaceNotFoundError, interfaceXdpFeatures, Program, queryXdp } from '../src/index.js';

const XDP_PASS = 2;
const veth = new VethPair('xqm', 171);

describeKernel('queryXdp per mode, interfaceXdpFeatures', () => {
  beforeAll(() => {
    veth.create();
  });
  afterAll(() => veth.destroy());

  for (const [mode, attached, field] of [
    ['skb', 2, 'skbProgId'],
    ['drv', 1, 'drvProgId'],
  ] as const) {
    for (const via of ['link', 'netlink'] as const) {
      it(`a program attached in ${mode} mode (${via}) shows as ${field}, the other modes' ids 0`, () => {
        const before = openFds();
        {
          using p = Program.load({ type: BpfProgType.XDP, instructions: returns(XDP_PASS) });
          const id = p.info().id;
          using link = attachXdp(p, veth.host, { via, mode });
          expect(queryXdp(veth.host)).toEqual({
            attached,
            progId: id,
            skbProgId: 0,
            drvProgId: 0,
            hwProgId: 0,
            [field]: id,
          });
          link.close();
        }
        expect(queryXdp(veth.host)).toEqual({
          attached: 0,
          progId: 0,
          skbProgId: 0,
          drvProgId: 0,
          hwProgId: 0,
        });
        expect(leakedFds(before)).toEqual([]);
      });
    }
  }

  it("a veth's XDP features: native XDP with redirects; lo has none", () => {
    const features = interfaceXdpFeatures(veth.host);
    expect(features).toBeDefined();
    const bits = features!.features;
    expect(bits & NetdevXdpAct.BASIC).toBe(NetdevXdpAct.BASIC);
    expect(bits & NetdevXdpAct.REDIRECT).toBe(NetdevXdpAct.REDIRECT);
    expect(bits & NetdevXdpAct.HW_OFFLOAD).toBe(0);
    // veth has no AF_XDP zero-copy, so no zero-copy segment limit is listed
    expect(bits & NetdevXdpAct.XSK_ZEROCOPY).toBe(0);
    expect(features!.zeroCopyMaxSegments).toBeUndefined();
    expect(interfaceXdpFeatures('lo')).toEqual({ features: 0, zeroCopyMaxSegments: undefined });
    expect(() => interfaceXdpFeatures('nosuchif0')).toThrow(InterfaceNotFoundError);
  });
});
