import { execFileSync } from 'node:child_process';
import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setXdpNetlink } from '../src/attach/xdp.js';
import {
  AttachError,
  attachTcClassic,
  attachTcx,
  attachXdp,
  ifindex,
  ifname,
  NetlinkError,
  Program,
  queryTcx,
  queryXdp,
  XdpFlags,
} from '../src/index.js';
import { Counter } from './helpers.js';

const XDP_PASS = 2;
const TC_ACT_OK = 0;
const veth = new VethPair('x', 41);

describeKernel('xdp and tc on a veth pair', () => {
  beforeAll(() => {
    veth.create();
  });
  afterAll(() => veth.destroy());

  for (const mode of [undefined, 'skb', 'drv'] as const) {
    it(`xdp bpf_link (${mode ?? 'default'} mode) counts packets until closed`, () => {
      using c = new Counter();
      using p = Program.load({ type: BpfProgType.XDP, instructions: c.code(XDP_PASS) });
      using link = attachXdp(p, veth.host, { via: 'link', ...(mode && { mode }) });
      expect(link.info()).toMatchObject({ type: 'xdp', interface: veth.host, ifindex: ifindex(veth.host) });
      expect(queryXdp(veth.host).progId).toBe(p.info().id);
      veth.sendToHost(3);
      expect(c.value).toBeGreaterThanOrEqual(3n);
      link.close();
      expect(queryXdp(veth.host).progId).toBe(0);
      const after = c.value;
      veth.sendToHost(2);
      expect(c.value).toBe(after);
    });
  }

  for (const mode of ['skb', 'drv'] as const) {
    it(`xdp over netlink IFLA_XDP (${mode}) attaches, updates and detaches`, () => {
      using c = new Counter();
      using c2 = new Counter();
      using p = Program.load({ type: BpfProgType.XDP, instructions: c.code(XDP_PASS) });
      using p2 = Program.load({ type: BpfProgType.XDP, instructions: c2.code(XDP_PASS) });
      using link = attachXdp(p, veth.host, { via: 'netlink', mode });
      expect(link.isBpfLink).toBe(false);
      expect(queryXdp(veth.host)).toMatchObject({ attached: mode === 'skb' ? 2 : 1, progId: p.info().id });
      veth.sendToHost(3);
      expect(c.value).toBeGreaterThanOrEqual(3n);
      link.update(p2);
      expect(queryXdp(veth.host).progId).toBe(p2.info().id);
      veth.sendToHost(2);
      expect(c2.value).toBeGreaterThanOrEqual(2n);
      link.close();
      expect(queryXdp(veth.host).progId).toBe(0);
      const after = c2.value;
      veth.sendToHost(2);
      expect(c2.value).toBe(after);
    });
  }

  it('tcx ingress and egress links count packets and show in the query', () => {
    using inC = new Counter();
    using outC = new Counter();
    using pin = Program.load({ type: BpfProgType.SCHED_CLS, instructions: inC.code(TC_ACT_OK) });
    using pout = Program.load({ type: BpfProgType.SCHED_CLS, instructions: outC.code(TC_ACT_OK) });
    using lin = attachTcx(pin, veth.host, 'ingress');
    using lout = attachTcx(pout, veth.host, 'egress');
    expect(lin.info()).toMatchObject({ type: 'tcx', interface: veth.host, attachType: 'TCX_INGRESS' });
    expect(lout.info()).toMatchObject({ type: 'tcx', attachType: 'TCX_EGRESS' });
    expect(queryTcx(veth.host, 'ingress').progIds).toEqual([pin.info().id]);
    expect(queryTcx(veth.host, 'ingress').linkIds).toEqual([lin.info().id]);
    veth.sendToHost(3);
    expect(inC.value).toBeGreaterThanOrEqual(3n);
    veth.sendToPeer(2);
    expect(outC.value).toBeGreaterThanOrEqual(2n);
    lin.close();
    lout.close();
    expect(queryTcx(veth.host, 'ingress').progIds).toEqual([]);
    const after = inC.value;
    veth.sendToHost(2);
    expect(inC.value).toBe(after);
  });

  it('classic tc: clsact + cls_bpf over netlink, update, and clean removal', () => {
    using c = new Counter();
    using c2 = new Counter();
    using p = Program.load({
      type: BpfProgType.SCHED_CLS,
      instructions: c.code(TC_ACT_OK),
      name: 'tsebpf_cls',
    });
    using p2 = Program.load({ type: BpfProgType.SCHED_CLS, instructions: c2.code(TC_ACT_OK) });
    using link = attachTcClassic(p, veth.host, 'ingress');
    const shown = execFileSync('tc', ['filter', 'show', 'dev', veth.host, 'ingress'], { encoding: 'utf8' });
    expect(shown).toMatch(/bpf .*tsebpf_cls.*direct-action/);
    veth.sendToHost(3);
    expect(c.value).toBeGreaterThanOrEqual(3n);
    link.update(p2);
    veth.sendToHost(2);
    expect(c2.value).toBeGreaterThanOrEqual(2n);
    link.close();
    expect(execFileSync('tc', ['qdisc', 'show', 'dev', veth.host], { encoding: 'utf8' })).not.toMatch(
      /clsact/,
    );
    const after = c2.value;
    veth.sendToHost(2);
    expect(c2.value).toBe(after);
  });

  it("a netlink refusal carries the kernel's extended ack in kernelMessage", () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.XDP, instructions: c.code(XDP_PASS) });
    let thrown: unknown;
    try {
      // Replace "the program p" when none is attached: the kernel explains in an extended ack.
      setXdpNetlink(ifindex(veth.host), p.fd, XdpFlags.SKB_MODE | XdpFlags.REPLACE, p.fd);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(NetlinkError);
    expect((thrown as NetlinkError).code).toBe('EEXIST');
    expect((thrown as NetlinkError).kernelMessage).toBe('Active program does not match expected');
    expect((thrown as Error).message).toContain((thrown as NetlinkError).kernelMessage);
    expect(queryXdp(veth.host).progId).toBe(0);
  });

  it('a second XDP program names the interface and the program attached', () => {
    using c = new Counter();
    using p = Program.load({ type: BpfProgType.XDP, instructions: c.code(XDP_PASS), name: 'first_xdp' });
    using p2 = Program.load({ type: BpfProgType.XDP, instructions: c.code(XDP_PASS) });
    using _link = attachXdp(p, veth.host, { mode: 'skb' });
    for (const via of ['link', 'netlink'] as const) {
      let thrown: unknown;
      try {
        attachXdp(p2, veth.host, { mode: 'skb', via }).close();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(AttachError);
      expect((thrown as Error).message).toContain(`'${veth.host}'`);
      expect((thrown as Error).message).toContain(`'first_xdp' (id ${p.info().id})`);
      expect((thrown as Error).message).toContain('generic (skb)');
    }
  });

  it('ifname maps an ifindex back to its name', () => {
    expect(ifname(ifindex(veth.host))).toBe(veth.host);
    expect(ifname(0x7ffffff0)).toBeUndefined();
  });
});
