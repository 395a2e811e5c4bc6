import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, returns, thrownBy, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AttachError, attachXdp, Program, queryXdp, type XdpAttachOptions } from '../src/index.js';

const XDP_PASS = 2;
const veth = new VethPair('xcf', 172);

/** The error of attaching a second program with `second` while `first` holds the hook. */
function conflict(first: XdpAttachOptions, second: XdpAttachOptions): { error: unknown; firstId: number } {
  using a = Program.load({ type: BpfProgType.XDP, instructions: returns(XDP_PASS), name: 'holder' });
  using b = Program.load({ type: BpfProgType.XDP, instructions: returns(XDP_PASS), name: 'newcomer' });
  using _held = attachXdp(a, veth.host, first);
  const error = thrownBy(() => {
    using _l = attachXdp(b, veth.host, second);
  });
  return { error, firstId: a.info().id };
}

describeKernel('XDP attach refused by a program already attached: the message names it and its mode', () => {
  beforeAll(() => {
    veth.create();
  });
  afterAll(() => veth.destroy());

  it('a driver mode attach (link or netlink) while a generic mode program is attached names that program and says the kernel refuses both modes at once', () => {
    for (const via of ['link', 'netlink'] as const) {
      const { error, firstId } = conflict({ via: 'netlink', mode: 'skb' }, { via, mode: 'drv' });
      expect(error, via).toBeInstanceOf(AttachError);
      const message = (error as Error).message;
      expect(message).toContain(`XDP program 'holder' (id ${firstId}) is attached in generic (skb) mode`);
      expect(message).toContain('driver (drv) mode was asked for');
      expect(message).toContain('does not run a generic and a driver mode program on one interface at once');
      expect(message).not.toContain('already attached');
      expect((error as Error).cause).toMatchObject({ code: 'EEXIST' });
    }
  });

  it('a generic mode attach while a driver mode program is attached names the driver mode one', () => {
    const { error, firstId } = conflict({ via: 'link', mode: 'drv' }, { via: 'netlink', mode: 'skb' });
    expect((error as Error).message).toContain(
      `XDP program 'holder' (id ${firstId}) is attached in driver (drv) mode, and generic (skb) mode was asked for`,
    );
  });

  it('a link in the mode a program is attached in: already attached in that mode', () => {
    const { error, firstId } = conflict({ via: 'netlink', mode: 'skb' }, { via: 'link', mode: 'skb' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot attach to XDP on '${veth.host}': XDP program 'holder' \\(id ${firstId}\\) is already attached in generic \\(skb\\) mode: detach it first, or replace it with Link.update\\(\\)`,
      ),
    );
  });

  it('no mode while a generic mode program is attached: says the kernel chose driver mode for a native driver', () => {
    const { error, firstId } = conflict({ via: 'netlink', mode: 'skb' }, { via: 'link' });
    const message = (error as Error).message;
    expect(message).toContain(
      `XDP program 'holder' (id ${firstId}) is attached in generic (skb) mode, and no mode was asked for`,
    );
    expect(message).toContain("attach with mode 'skb'");
  });

  it('leaves nothing attached and no descriptor open', () => {
    const before = openFds();
    conflict({ via: 'netlink', mode: 'skb' }, { via: 'link', mode: 'drv' });
    expect(queryXdp(veth.host)).toMatchObject({ attached: 0, skbProgId: 0, drvProgId: 0 });
    expect(leakedFds(before)).toEqual([]);
  });
});
