import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, LoopbackNetns } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { attachXdp, inNetns, Program, queryXdp } from '../src/index.js';

/** `r0 = XDP_PASS; exit`. */
const XDP_PASS_CODE = new Uint8Array([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

describeKernel('xdp over netlink across network namespaces', () => {
  it('a link attached inside a namespace detaches (and updates) there when closed from outside', () => {
    using ns = new LoopbackNetns('xnl');
    using p = Program.load({ type: BpfProgType.XDP, instructions: XDP_PASS_CODE });
    using p2 = Program.load({ type: BpfProgType.XDP, instructions: XDP_PASS_CODE });
    const link = inNetns(ns.path, () => attachXdp(p, 'lo', { via: 'netlink', mode: 'skb' }));
    try {
      expect(inNetns(ns.path, () => queryXdp('lo').progId)).toBe(p.info().id);
      // This thread is back in its own namespace, whose 'lo' has the same ifindex (1).
      expect(queryXdp('lo').progId).toBe(0);
      link.update(p2);
      expect(inNetns(ns.path, () => queryXdp('lo').progId)).toBe(p2.info().id);
      expect(queryXdp('lo').progId).toBe(0);
    } finally {
      link.close();
    }
    expect(inNetns(ns.path, () => queryXdp('lo'))).toEqual({
      attached: 0,
      progId: 0,
      skbProgId: 0,
      drvProgId: 0,
      hwProgId: 0,
    });
  });

  it('the program stays attached after the caller closes its Program, until the link closes', () => {
    using ns = new LoopbackNetns('xnm');
    const p = Program.load({ type: BpfProgType.XDP, instructions: XDP_PASS_CODE });
    const id = p.info().id;
    const link = inNetns(ns.path, () => attachXdp(p, 'lo', { via: 'netlink', mode: 'skb' }));
    p.close();
    expect(inNetns(ns.path, () => queryXdp('lo').progId)).toBe(id);
    link.close();
    link.close(); // idempotent
    expect(inNetns(ns.path, () => queryXdp('lo').progId)).toBe(0);
  });
});
