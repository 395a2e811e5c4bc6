import { bpf } from '@ts-ebpf/dsl';
import { tc } from '@ts-ebpf/dsl-tc';
import { xdpPlugin } from '@ts-ebpf/dsl-xdp';
import { BpfAttachType, BpfProgType, NfInetHook, NfVerdict, netnsPath, queryXdp } from '@ts-ebpf/programs';
import { describeKernel, LoopbackNetns, openFds, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineProgram, script } from '../src/index.js';
import { counter, countOf, countThenReturn, eventually } from './support.js';

const veth = new VethPair('mcn', 231);
const XDP_PASS = 2;
const TC_ACT_OK = 0;
const SK_PASS = 1;

describeKernel('macros: network attach kinds', () => {
  beforeAll(() => veth.create(4));
  afterAll(() => veth.destroy());

  it('xdp: a dsl plugin program on a veth counts the packets, and closing detaches it', () => {
    const count = defineProgram({
      maps: { counts: counter },
      plugin: xdpPlugin,
      section: 'xdp',
      build: ({ counts }) => countThenReturn(counts.fd, XDP_PASS),
      attach: { kind: 'xdp', interface: veth.host, mode: 'skb' },
    });
    const s = script({ programs: { count } });
    try {
      expect(s.links.count.isBpfLink).toBe(true);
      expect(queryXdp(veth.host).progId).toBe(s.programs.count.info().id);
      veth.sendToHost(5);
      expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(5n);
    } finally {
      s.close();
    }
    s.close();
    expect(s.closed).toBe(true);
    expect(queryXdp(veth.host).progId).toBe(0);
  });

  it('tcx: a program built by a plugin section, attached on ingress', () => {
    const section = tc('tcx/ingress');
    const count = defineProgram({
      maps: { counts: counter },
      build: ({ counts }) => section.build(countThenReturn(counts.fd, TC_ACT_OK)),
      attach: { kind: 'tcx', interface: veth.host, direction: 'ingress' },
    });
    using s = script({ programs: { count } });
    expect(s.links.count.info()).toMatchObject({ type: 'tcx' });
    veth.sendToHost(4);
    expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(4n);
  });

  it('tc: classic cls_bpf in another namespace, the clsact qdisc removed again on close', () => {
    const count = defineProgram({
      maps: { counts: counter },
      type: BpfProgType.SCHED_CLS,
      build: ({ counts }) => countThenReturn(counts.fd, TC_ACT_OK),
    });
    const qdiscs = () => veth.inNs(`tc qdisc show dev ${veth.peer}`);
    {
      using s = script({
        programs: { count },
        attach: {
          count: { kind: 'tc', interface: veth.peer, direction: 'ingress', netns: netnsPath(veth.ns) },
        },
      });
      expect(qdiscs()).toContain('clsact');
      veth.sendToPeer(3);
      expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(3n);
      expect(s.links.count?.isBpfLink).toBe(false);
    }
    expect(qdiscs()).not.toContain('clsact');
  });

  it('tc and xdp in a namespace whose path is gone by close(): detached, nothing left open', () => {
    const count = defineProgram({
      maps: { counts: counter },
      type: BpfProgType.SCHED_CLS,
      build: ({ counts }) => countThenReturn(counts.fd, TC_ACT_OK),
    });
    const pass = defineProgram({ type: BpfProgType.XDP, build: () => bpf`r0 = 2; exit` });
    const before = openFds().size;
    const ns = new LoopbackNetns('mcg');
    const s = script({
      programs: { count, pass },
      attach: {
        count: { kind: 'tc', interface: 'lo', direction: 'ingress', netns: ns.path },
        pass: { kind: 'xdp', interface: 'lo', via: 'netlink', mode: 'skb', netns: ns.path },
      },
    });
    // `ip netns del` unmounts the path; the namespace lives on while the attachments hold it
    ns[Symbol.dispose]();
    s.close();
    expect(openFds().size).toBe(before);
    // a path that names no namespace: refused, and nothing is left open either
    expect(() =>
      script({
        programs: { pass },
        attach: { pass: { kind: 'xdp', interface: 'lo', netns: '/run/netns/ts-ebpf-no-such-namespace' } },
      }),
    ).toThrow(/no-such-namespace/);
    expect(openFds().size).toBe(before);
  });

  it('sk_lookup: runs for each lookup in the namespace', async () => {
    const lookup = defineProgram({
      maps: { counts: counter },
      type: BpfProgType.SK_LOOKUP,
      expectedAttachType: BpfAttachType.SK_LOOKUP,
      build: ({ counts }) => countThenReturn(counts.fd, SK_PASS),
      attach: { kind: 'sk_lookup', netns: netnsPath(veth.ns) },
    });
    using s = script({ programs: { lookup } });
    veth.sendToPeer(3);
    await eventually(() => countOf(s.maps.counts) >= 3n);
    expect(s.links.lookup.info()).toMatchObject({ type: 'netns', attachType: 'SK_LOOKUP' });
  });

  it('flow_dissector: runs when packets of the namespace are hashed', async () => {
    const dissect = defineProgram({
      maps: { counts: counter },
      type: BpfProgType.FLOW_DISSECTOR,
      build: ({ counts }) => countThenReturn(counts.fd, 0),
      attach: { kind: 'flow_dissector', netns: netnsPath(veth.ns) },
    });
    using s = script({ programs: { dissect } });
    veth.sendToHostUnconnected(3);
    await eventually(() => countOf(s.maps.counts) >= 3n);
  });

  it('netfilter: a LOCAL_OUT hook in another namespace counts what it sends', () => {
    const hook = defineProgram({
      maps: { counts: counter },
      type: BpfProgType.NETFILTER,
      expectedAttachType: BpfAttachType.NETFILTER,
      build: ({ counts }) => countThenReturn(counts.fd, NfVerdict.ACCEPT),
      attach: { kind: 'netfilter', hook: NfInetHook.LOCAL_OUT, priority: -100, netns: netnsPath(veth.ns) },
    });
    using s = script({ programs: { hook } });
    expect(s.links.hook.info()).toMatchObject({ type: 'netfilter', hook: 'LOCAL_OUT' });
    veth.sendToHost(3);
    expect(countOf(s.maps.counts)).toBeGreaterThanOrEqual(3n);
  });
});
