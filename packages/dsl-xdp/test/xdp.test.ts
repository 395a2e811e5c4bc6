import { readFileSync } from 'node:fs';
import { Btf, type CompositeType } from '@ts-ebpf/btf';
import {
  add,
  ContextAccessError,
  call,
  exit,
  HelperNotAllowedError,
  jgt,
  ldx,
  mark,
  mov,
  PluginRegistry,
  R0,
  R2,
  R3,
  R4,
  R7,
  st,
  sub,
} from '@ts-ebpf/dsl';
import { Program } from '@ts-ebpf/programs';
import { probeHelper } from '@ts-ebpf/syscall';
import { describeKernel, itIfSupported, VethPair } from '@ts-ebpf/test-utils';
import { BpfAttachType, BpfFunc, BpfProgType, XdpAction } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adjustHead,
  adjustMeta,
  adjustTail,
  loadBytes,
  storeBytes,
  XDP_CTX,
  XDP_MD,
  XdpArgumentError,
  xdp,
  xdpPlugin,
} from '../src/index.js';

const EFAULT = 14;

import { FRAME, run, xdpMd } from './support.js';

describe('xdp plugin', () => {
  it('covers the xdp sections with their program type, attach type and flags', () => {
    expect(xdp('xdp').def).toMatchObject({
      progType: BpfProgType.XDP,
      expectedAttachType: BpfAttachType.XDP,
    });
    expect(xdp('xdp.frags').def).toMatchObject({ xdpFrags: true });
    expect(xdp('xdp/devmap').def.expectedAttachType).toBe(BpfAttachType.XDP_DEVMAP);
    expect(xdp('xdp.frags/cpumap').def).toMatchObject({
      expectedAttachType: BpfAttachType.XDP_CPUMAP,
      xdpFrags: true,
    });
    const built = xdp('xdp.frags').build(xdp().ret('XDP_PASS'));
    expect(built).toMatchObject({
      type: BpfProgType.XDP,
      expectedAttachType: BpfAttachType.XDP,
      xdpFrags: true,
    });
    expect(new PluginRegistry([xdpPlugin]).forSection('xdp/cpumap')?.plugin).toBe(xdpPlugin);
  });

  it('has the XdpAction return codes', () => {
    expect(xdpPlugin.returnCodes).toEqual({
      XDP_ABORTED: XdpAction.ABORTED,
      XDP_DROP: XdpAction.DROP,
      XDP_PASS: XdpAction.PASS,
      XDP_TX: XdpAction.TX,
      XDP_REDIRECT: XdpAction.REDIRECT,
    });
  });

  it('gives devmap programs ABORTED, DROP, PASS and cpumap programs all but TX, saying what the kernel does with the rest', () => {
    for (const section of ['xdp/devmap', 'xdp.frags/devmap'] as const) {
      expect(xdp(section).returnCodes).toEqual({
        XDP_ABORTED: XdpAction.ABORTED,
        XDP_DROP: XdpAction.DROP,
        XDP_PASS: XdpAction.PASS,
      });
      for (const code of ['XDP_TX', 'XDP_REDIRECT'])
        expect(() => xdp(section).ret(code as never)).toThrow(
          `plugin 'xdp', section '${section}': "${code}" is not a return code: ${code} is an invalid action for a program run from a devmap entry: the kernel (dev_map_bpf_prog_run) warns once and drops the frame; XDP_PASS sends it out of the entry's interface (it has XDP_ABORTED, XDP_DROP, XDP_PASS)`,
        );
    }
    for (const section of ['xdp/cpumap', 'xdp.frags/cpumap'] as const) {
      expect(Object.keys(xdp(section).returnCodes)).toEqual([
        'XDP_ABORTED',
        'XDP_DROP',
        'XDP_PASS',
        'XDP_REDIRECT',
      ]);
      expect(xdp(section).ret('XDP_REDIRECT')).toEqual([mov(R0, XdpAction.REDIRECT), exit()]);
      expect(() => xdp(section).ret('XDP_TX' as never)).toThrow(
        /section 'xdp(\.frags)?\/cpumap': "XDP_TX" is not a return code: XDP_TX is an invalid action for a program run from a cpumap entry: the kernel \(cpu_map_bpf_prog_run_xdp\) warns once and drops the frame/,
      );
    }
    // programs attached to an interface keep every action
    for (const section of ['xdp', 'xdp.frags'] as const)
      expect(xdp(section).returnCodes).toBe(xdpPlugin.returnCodes);
    expect(xdp().ret('XDP_TX')).toEqual([mov(R0, XdpAction.TX), exit()]);
  });

  it('lets only devmap programs read egress_ifindex, and no program write the context', () => {
    expect(() => xdp().load('egress_ifindex', R2)).toThrow(ContextAccessError);
    expect(() => xdp('xdp/cpumap').load('egress_ifindex', R2)).toThrow(
      /xdp programs of section 'xdp\/cpumap' may not read struct xdp_md.egress_ifindex/,
    );
    expect(xdp('xdp/devmap').load('egress_ifindex', R2, XDP_CTX)).toEqual(ldx('w', R2, XDP_CTX, 20));
    expect(() => xdp().store('rx_queue_index', R2)).toThrow(/may not write struct xdp_md.rx_queue_index/);
  });

  it('refuses a helper XDP programs may not call, before the kernel is asked', () => {
    const err = (() => {
      try {
        xdp().build([adjustHead(0), mov(R2, 0), call('skb_load_bytes'), exit()]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HelperNotAllowedError);
    expect(err).toMatchObject({ helper: 'skb_load_bytes', programType: 'XDP (XDP)', index: 5 });
    expect(String(err)).toMatch(/XDP \(XDP\) programs may not call helper bpf_skb_load_bytes#26/);
  });
});

describeKernel('xdp plugin against the kernel', () => {
  it('struct xdp_md matches the kernel BTF', () => {
    const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
    const md = btf.find('xdp_md', 'struct') as CompositeType;
    expect(md.size).toBe(XDP_MD.size);
    const kernel = Object.fromEntries(md.members.map((m) => [m.name, m.bitOffset / 8]));
    const ours = Object.fromEntries(Object.entries(XDP_MD.fields).map(([n, f]) => [n, f.offset]));
    expect(ours).toEqual(kernel);
  });

  it('reads data, data_end and data_meta as packet pointers', () => {
    const s = xdp();
    const length = s.build([
      s.load('data', R2, XDP_CTX),
      s.load('data_end', R3, XDP_CTX),
      mov(R0, R3),
      sub(R0, R2),
      exit(),
    ]);
    expect(run(length).retval).toBe(FRAME.length);
    const meta = s.build([
      s.load('data_meta', R2, XDP_CTX),
      s.load('data', R0, XDP_CTX),
      sub(R0, R2),
      exit(),
    ]);
    expect(run(meta).retval).toBe(0);
    const withMeta = new Uint8Array(8 + FRAME.length);
    withMeta.set(FRAME, 8);
    expect(run(meta, withMeta, xdpMd({ data: 8, dataEnd: withMeta.length })).retval).toBe(8);
  });

  it('an xdp/devmap program reading egress_ifindex loads', () => {
    const s = xdp('xdp/devmap');
    using p = Program.load(s.build([s.load('egress_ifindex', R0, XDP_CTX), exit()]));
    expect(p.type).toBe(BpfProgType.XDP);
  });

  it('Program.load checks a plugin-built program again', () => {
    const built = xdp().build(xdp().ret('XDP_PASS'));
    expect(() => Program.load({ ...built, type: BpfProgType.SCHED_CLS })).toThrow(
      /section 'xdp': built for XDP \(XDP\) programs, loaded as SCHED_CLS/,
    );
    const tampered = [
      ...built.instructions.slice(0, -2),
      { ...mov(R0, 0), code: 0x85, imm: 26 },
      ...built.instructions.slice(-2),
    ];
    expect(() => Program.load({ ...built, instructions: tampered })).toThrow(HelperNotAllowedError);
  });

  describe('with a veth pair of 4 queues', () => {
    const veth = new VethPair('dx', 161);
    let ifindex = 0;
    beforeAll(() => {
      veth.create(4);
      ifindex = Number(readFileSync(`/sys/class/net/${veth.host}/ifindex`, 'utf8'));
    });
    afterAll(() => veth.destroy());

    it('reads ingress_ifindex and rx_queue_index from the test-run context', () => {
      const s = xdp();
      const ctx = xdpMd({ dataEnd: FRAME.length, ingressIfindex: ifindex, rxQueueIndex: 3 });
      expect(run(s.build([s.load('ingress_ifindex', R0, XDP_CTX), exit()]), FRAME, ctx).retval).toBe(ifindex);
      expect(run(s.build([s.load('rx_queue_index', R0, XDP_CTX), exit()]), FRAME, ctx).retval).toBe(3);
    });
  });
});

describeKernel('adjust_head, adjust_tail, adjust_meta', () => {
  const s = xdp();
  /** Reloads data/data_end, checks `n` bytes, and stores `value` (u32) at the start; passes. */
  const writeFront = (value: number, from: 'data' | 'data_meta' = 'data') => [
    s.load(from, R2, XDP_CTX),
    s.load(from === 'data' ? 'data_end' : 'data', R3, XDP_CTX),
    mov(R4, R2),
    add(R4, 4),
    jgt(R4, R3, 'out'),
    st('w', R2, 0, value),
    mark('out'),
    ...s.ret('XDP_PASS'),
  ];

  it('adjustHead strips and grows the front of the packet', () => {
    expect(run(s.build([adjustHead(14, { onFailure: 'XDP_ABORTED' }), ...s.ret('XDP_PASS')])).data).toEqual(
      FRAME.slice(14),
    );
    const grown = run(s.build([adjustHead(-4, { onFailure: 'XDP_ABORTED' }), ...writeFront(0x04030201)]));
    expect(grown.retval).toBe(XdpAction.PASS);
    expect(grown.data).toEqual(Uint8Array.from([1, 2, 3, 4, ...FRAME]));
  });

  it('adjustHead beyond the packet fails and returns the failure action', () => {
    const r = run(s.build([adjustHead(4096, { onFailure: 'XDP_DROP' }), ...s.ret('XDP_PASS')]));
    expect(r.retval).toBe(XdpAction.DROP);
  });

  it('adjustTail trims the end of the packet', () => {
    const r = run(s.build([adjustTail(-10, { onFailure: 'XDP_ABORTED' }), ...s.ret('XDP_PASS')]));
    expect(r.data).toEqual(FRAME.slice(0, FRAME.length - 10));
  });

  // Some kernel builds refuse bpf_xdp_adjust_meta to XDP programs (this project's 6.18.44 sandbox
  // build v1300 does: "program of this type cannot use helper"); the probe says so.
  itIfSupported(
    'adjustMeta makes room for metadata before the packet',
    probeHelper(BpfProgType.XDP, BpfFunc.xdp_adjust_meta).reason,
    () => {
      const r = run(
        s.build([adjustMeta(-4, { onFailure: 'XDP_ABORTED' }), ...writeFront(0x0d0c0b0a, 'data_meta')]),
      );
      expect(r.retval).toBe(XdpAction.PASS);
      expect(r.data).toEqual(Uint8Array.from([0x0a, 0x0b, 0x0c, 0x0d, ...FRAME]));
    },
  );
});

describeKernel('bpf_xdp_load_bytes / store_bytes in an xdp.frags program', () => {
  const s = xdp('xdp.frags');
  it('copies packet bytes through the stack', () => {
    const r = run(
      s.build([
        loadBytes({ offset: 6, stack: -8, length: 4, onFailure: 'XDP_ABORTED' }),
        storeBytes({ offset: 0, stack: -8, length: 4, onFailure: 'XDP_ABORTED' }),
        ...s.ret('XDP_PASS'),
      ]),
    );
    expect(r.retval).toBe(XdpAction.PASS);
    expect(r.data).toEqual(Uint8Array.from([...FRAME.slice(6, 10), ...FRAME.slice(4)]));
  });

  it('returns the failure action for an offset beyond the packet', () => {
    const r = run(
      s.build([
        loadBytes({ offset: 100, stack: -8, length: 4, onFailure: 'XDP_DROP' }),
        ...s.ret('XDP_PASS'),
      ]),
    );
    expect(r.retval).toBe(XdpAction.DROP);
  });

  it('fails an offset outside 0..65535 with EFAULT whatever the packet: a constant one is refused', () => {
    for (const offset of [-1, 0x10000]) {
      for (const copy of [loadBytes, storeBytes]) {
        const inRegister = s.build([mov(R7, offset), copy({ offset: R7, stack: -8, length: 4 }), exit()]);
        expect([offset, run(inRegister).retval | 0]).toEqual([offset, -EFAULT]);
        expect(() => copy({ offset, stack: -8, length: 4 })).toThrow(XdpArgumentError);
      }
    }
  });
});
