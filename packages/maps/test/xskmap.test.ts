import { readFileSync } from 'node:fs';
import { bpf } from '@ts-ebpf/dsl';
import { BpfAttachType, BpfProgType, close, linkCreate, progLoad } from '@ts-ebpf/syscall';
import { describeKernel, hostCode, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { XskMap } from '../src/index.js';
import { XdpSocket } from './xdp-socket.js';

// linux/if_link.h
const XDP_FLAGS_SKB_MODE = 1 << 1;
const XDP_PASS = 2;

/** The UDP payloads sent to port 9 among `frames` (Ethernet + IPv4 + UDP). */
function udpPayloads(frames: Uint8Array[]): string[] {
  const out: string[] = [];
  for (const f of frames) {
    const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
    if (f.byteLength < 42 || v.getUint16(12) !== 0x0800 || f[23] !== 17) continue;
    const udp = 14 + (f[14]! & 0x0f) * 4;
    if (v.getUint16(udp + 2) !== 9) continue;
    out.push(new TextDecoder().decode(f.subarray(udp + 8)));
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeKernel('xskmap redirects frames to an AF_XDP socket', () => {
  const pair = new VethPair('xsk', 77);
  beforeAll(() => {
    pair.create();
  });
  afterAll(() => pair.destroy());

  it('an XDP program redirects through the map slot of its queue; frames land in the RX ring', async () => {
    const ifindex = Number(readFileSync(`/sys/class/net/${pair.host}/ifindex`, 'utf8'));
    using xsks = XskMap.create({ maxEntries: 4 });
    using xsk = new XdpSocket(ifindex);
    const insns = hostCode(bpf`
      r2 = *(u32 *)(r1 + 16) // ctx->rx_queue_index
      r1 = ${xsks}
      r3 = ${XDP_PASS}
      call bpf_redirect_map
      exit`);
    const progFd = progLoad({ progType: BpfProgType.XDP, insns, license: 'GPL' });
    let link = -1;
    try {
      link = linkCreate({
        progFd,
        targetFd: ifindex,
        attachType: BpfAttachType.XDP,
        flags: XDP_FLAGS_SKB_MODE,
      });
      // No socket in slot 0 yet: frames pass to the stack, none reach the ring.
      pair.sendToHostUnconnected(3);
      await sleep(50);
      expect(xsk.receive()).toEqual([]);
      xsks.set(0, xsk.fd);
      pair.sendToHostUnconnected(5);
      let got: string[] = [];
      for (let i = 0; i < 100 && got.length < 5; i++) {
        got = got.concat(udpPayloads(xsk.receive()));
        if (got.length < 5) await sleep(20);
      }
      expect(got).toEqual(['x', 'x', 'x', 'x', 'x']);
      // The slot emptied: frames go back to the stack.
      expect(xsks.delete(0)).toBe(true);
      pair.sendToHostUnconnected(3);
      await sleep(50);
      expect(udpPayloads(xsk.receive())).toEqual([]);
    } finally {
      if (link >= 0) close(link);
      close(progFd);
    }
  });
});
