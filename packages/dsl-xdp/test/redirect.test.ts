import { readFileSync } from 'node:fs';
import { exit, type Fragment } from '@ts-ebpf/dsl';
import { close, mapCreate, mapUpdateElem } from '@ts-ebpf/syscall';
import { describeKernel, VethPair } from '@ts-ebpf/test-utils';
import { BpfMapType, XdpAction } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  redirect,
  redirectMap,
  redirectToCpu,
  redirectToDevmap,
  redirectToXsk,
  XdpArgumentError,
  xdp,
} from '../src/index.js';
import { FRAME, run, u32, xdpMd } from './support.js';

/** Runs `body; exit` once in an xdp program and gives its return value. */
function action(body: Fragment, ctx?: Uint8Array): number {
  return run(xdp().build([body, exit()]), FRAME, ctx).retval;
}

describeKernel('redirects return XDP_REDIRECT in a test run, or the fallback', () => {
  const veth = new VethPair('dr', 162);
  let ifindex = 0;
  const fds: number[] = [];
  const map = (mapType: number, valueSize: number, maxEntries = 4): number => {
    const fd = mapCreate({ mapType, keySize: 4, valueSize, maxEntries });
    fds.push(fd);
    return fd;
  };
  beforeAll(() => {
    veth.create(4);
    ifindex = Number(readFileSync(`/sys/class/net/${veth.host}/ifindex`, 'utf8'));
  });
  afterAll(() => {
    for (const fd of fds) close(fd);
    veth.destroy();
  });

  it('by ifindex', () => {
    expect(action(redirect(ifindex))).toBe(XdpAction.REDIRECT);
  });

  it('through a devmap and a devmap_hash: the entry, a missing key, broadcast', () => {
    for (const type of [BpfMapType.DEVMAP, BpfMapType.DEVMAP_HASH]) {
      const fd = map(type, 4);
      mapUpdateElem(fd, u32(1), u32(ifindex));
      expect(action(redirectToDevmap({ fd }, 1))).toBe(XdpAction.REDIRECT);
      expect(action(redirectToDevmap({ fd }, 2, { fallback: 'XDP_PASS' }))).toBe(XdpAction.PASS);
      expect(action(redirectToDevmap({ fd }, 2))).toBe(XdpAction.ABORTED);
      expect(action(redirectToDevmap({ fd }, 0, { broadcast: true, excludeIngress: true }))).toBe(
        XdpAction.REDIRECT,
      );
    }
  });

  it('through a cpumap', () => {
    const fd = map(BpfMapType.CPUMAP, 8, 1);
    mapUpdateElem(fd, u32(0), u32(192, 0)); // struct bpf_cpumap_val { qsize; bpf_prog.fd = 0 (none) }
    expect(action(redirectToCpu({ fd }, 0))).toBe(XdpAction.REDIRECT);
    const empty = map(BpfMapType.CPUMAP, 8, 1);
    expect(action(redirectToCpu({ fd: empty }, 0, { fallback: XdpAction.DROP }))).toBe(XdpAction.DROP);
  });

  it('with BPF_F_BROADCAST through a cpumap or an xskmap: XDP_ABORTED always, so refused before', () => {
    const cpus = map(BpfMapType.CPUMAP, 8, 1);
    mapUpdateElem(cpus, u32(0), u32(192, 0));
    const xsks = map(BpfMapType.XSKMAP, 4);
    const pass = { fallback: 'XDP_PASS', broadcast: true } as const;
    // without the flag: the entry (cpumap), the fallback (xskmap: no socket)
    expect(action(redirectMap({ fd: cpus }, 0, { fallback: 'XDP_PASS' }))).toBe(XdpAction.REDIRECT);
    expect(action(redirectMap({ fd: xsks }, 0, { fallback: 'XDP_PASS' }))).toBe(XdpAction.PASS);
    expect(action(redirectMap({ fd: cpus }, 0, pass))).toBe(XdpAction.ABORTED);
    expect(action(redirectMap({ fd: xsks }, 0, pass))).toBe(XdpAction.ABORTED);
    expect(() => redirectToCpu({ fd: cpus }, 0, pass as never)).toThrow(XdpArgumentError);
    expect(() => redirectToXsk({ fd: xsks }, pass as never)).toThrow(/broadcast: only a devmap redirect/);
  });

  it('into an xskmap by rx_queue_index: the fallback when the queue has no socket', () => {
    const fd = map(BpfMapType.XSKMAP, 4);
    const ctx = xdpMd({ dataEnd: FRAME.length, ingressIfindex: ifindex, rxQueueIndex: 2 });
    expect(action(redirectToXsk({ fd }, { fallback: 'XDP_PASS' }), ctx)).toBe(XdpAction.PASS);
    expect(action(redirectToXsk({ fd }, { fallback: 'XDP_DROP' }), ctx)).toBe(XdpAction.DROP);
  });
});
