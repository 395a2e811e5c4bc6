import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, LoopbackNetns } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { AttachError, attachXdp, inNetns, Program } from '../src/index.js';

/** `r0 = XDP_PASS; exit`. */
const XDP_PASS_CODE = new Uint8Array([0xb7, 0, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

// The loopback driver has no native XDP: driver mode there is the kernel's EOPNOTSUPP, the
// error a driver that refuses native XDP (virtio_net with GRO offload) gives without a mode.
describeKernel('an XDP mode the driver refuses', () => {
  it.each(['link', 'netlink'] as const)('is an AttachError that names generic mode (via %s)', (via) => {
    using ns = new LoopbackNetns('xdr');
    using p = Program.load({ type: BpfProgType.XDP, instructions: XDP_PASS_CODE });
    const e = inNetns(ns.path, () => {
      try {
        attachXdp(p, 'lo', { mode: 'drv', via }).close();
      } catch (err) {
        return err;
      }
      throw new Error('native XDP attached to lo');
    });
    expect(e).toBeInstanceOf(AttachError);
    expect((e as AttachError).message).toMatch(
      /^cannot attach to XDP on 'lo': the interface's driver has no native XDP or refused it \(mode 'drv'\): EOPNOTSUPP.*; mode: 'skb' \(generic XDP\) works on every interface$/,
    );
    expect((e as AttachError).cause).toMatchObject({ code: 'EOPNOTSUPP' });
    // netlink carries the kernel's own sentence
    if (via === 'netlink')
      expect((e as AttachError).message).toContain('does not support XDP in native mode');
  });
});
