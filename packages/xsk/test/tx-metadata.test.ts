// TX metadata against the kernel: a UDP frame sent from an AF_XDP socket in copy mode with a
// checksum request (XDP_TXMD_FLAGS_CHECKSUM) and TX_SW_CSUM is captured on the peer side of the
// veth by a second AF_XDP socket, and the checksum the kernel wrote is compared with the one
// computed here; a timestamp request (XDP_TXMD_FLAGS_TIMESTAMP) comes back at completion.
import { XskMap } from '@ts-ebpf/maps';
import { attachXdp, ifindex, inNetns } from '@ts-ebpf/programs';
import {
  BpfSyscallError,
  close,
  MapFlag,
  MappedMemory,
  Prot,
  XSK_TX_METADATA_LAYOUT,
  xdpBind,
  xdpMapRing,
  xdpMmapOffsets,
  xdpSetRingSize,
  xdpSocket,
  xdpUmemRegister,
  xdpWakeupTx,
} from '@ts-ebpf/syscall';
import { describeKernel, inetChecksum, leakedFds, openFds } from '@ts-ebpf/test-utils';
import {
  HOST_LITTLE_ENDIAN,
  NetdevXskFlag,
  XdpBindFlag,
  XdpDescOption,
  XdpTxMetadataFlag,
} from '@ts-ebpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  XskQueueBusyError,
  XskSocket,
  type XskSocketOptions,
  XskTransmitRefusedError,
  type XskTxMetadata,
  XskTxOffloadError,
} from '../src/index.js';
import { offloadsMissing } from '../src/tx-metadata.js';
import { openXsk, PORT, redirectToXsk, SMALL, sleep, XskVeth } from './support.js';

/** Where the UDP header and its checksum sit in the test's frames (Ethernet + 20-byte IPv4). */
const UDP = 14 + 20;
const CHECKSUM = { start: UDP, offset: 6 } as const;

/** The UDP checksum field of a frame (big-endian). */
const udpChecksum = (frame: Uint8Array) => (frame[UDP + 6]! << 8) | frame[UDP + 7]!;

/** The IPv4 pseudo-header of a frame's UDP datagram: addresses, zero, protocol, UDP length. */
function pseudoHeader(frame: Uint8Array): Uint8Array {
  const udpLength = frame.byteLength - UDP;
  return Uint8Array.of(...frame.subarray(26, 34), 0, 17, udpLength >> 8, udpLength & 0xff);
}

/** What the kernel stores for a checksum request: the folded sum from `start` on, complemented (0 → 0xffff). */
const partialChecksum = (bytes: Uint8Array) => inetChecksum(bytes) || 0xffff;

const concat = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);

describeKernel('XskSocket TX metadata on a veth pair (copy mode)', () => {
  const pair = new XskVeth('xc', 171);
  const peerNs = () => `/run/netns/${pair.ns}`;
  beforeAll(() => {
    pair.create();
  });
  afterAll(() => pair.destroy());

  /** A transmit-only copy-mode socket on the host side with a 24-byte TX metadata area. */
  const sender = (extra: Partial<XskSocketOptions> = {}) =>
    openXsk({
      interface: pair.host,
      mode: 'copy',
      rxSize: 0,
      fillSize: 1,
      txSize: 4,
      completionSize: 4,
      txMetadataLen: 24,
      ...extra,
    });

  /**
   * Sends `frame` with `metadata` from `xsk` and returns the UDP frame to PORT that an AF_XDP
   * socket on the peer side captured, as its bytes arrived there.
   */
  async function sendAndCapture(
    xsk: XskSocket,
    frame: Uint8Array,
    metadata?: XskTxMetadata,
  ): Promise<Uint8Array> {
    using xsks = XskMap.create({ maxEntries: 1 });
    using capture = await openCapture(peerNs(), pair.peer);
    using prog = redirectToXsk(xsks);
    using _link = inNetns(peerNs(), () => attachXdp(prog, pair.peer, { mode: 'skb' }));
    xsks.set(0, capture.fd);
    expect(xsk.transmit(frame, metadata)).toBe(true);
    for (let i = 0; i < 150; i++) {
      const got = capture
        .receive()
        .find((f) => f.byteLength === frame.byteLength && ((f[UDP + 2]! << 8) | f[UDP + 3]!) === PORT);
      if (got) return got;
      xsk.completions();
      await sleep(20);
    }
    throw new Error('the peer captured no frame');
  }

  /** Takes completions until nothing is in flight (~2 s at most). */
  async function drain(xsk: XskSocket): Promise<void> {
    for (let i = 0; i < 100 && xsk.inFlight > 0; i++) {
      xsk.completions();
      await sleep(20);
    }
    expect(xsk.inFlight).toBe(0);
  }

  it('TX_SW_CSUM: the kernel stores the checksum from csum_start on, seeded by what the field holds', async () => {
    const before = openFds();
    {
      using xsk = await sender({ softwareChecksum: true });
      expect(xsk.txMetadataLen).toBe(24);
      // A zeroed checksum field: the kernel sums the UDP header and payload alone (no pseudo-header).
      const zeroed = pair.udpFrame('checksum from zero');
      expect(udpChecksum(zeroed)).toBe(0);
      const got = await sendAndCapture(xsk, zeroed, { checksum: CHECKSUM });
      expect(got.subarray(0, UDP + 6)).toEqual(zeroed.subarray(0, UDP + 6));
      expect(got.subarray(UDP + 8)).toEqual(zeroed.subarray(UDP + 8));
      expect(udpChecksum(got)).toBe(partialChecksum(zeroed.subarray(UDP)));
      expect(udpChecksum(got)).not.toBe(0);

      // The field seeded with the pseudo-header's sum, as for any CHECKSUM_PARTIAL packet: the
      // kernel's result is the datagram's real UDP checksum, which verifies.
      const seeded = pair.udpFrame('checksum from the pseudo-header');
      const pseudoSum = ~inetChecksum(pseudoHeader(seeded)) & 0xffff;
      seeded.set([pseudoSum >> 8, pseudoSum & 0xff], UDP + 6);
      const valid = pair.udpFrame('checksum from the pseudo-header');
      const expected = inetChecksum(concat(pseudoHeader(valid), valid.subarray(UDP))) || 0xffff;
      const sent = await sendAndCapture(xsk, seeded, { checksum: CHECKSUM });
      expect(udpChecksum(sent)).toBe(expected);
      expect(inetChecksum(concat(pseudoHeader(sent), sent.subarray(UDP)))).toBe(0);
      await drain(xsk);
      expect(xsk.statistics().txInvalidDescs).toBe(0n);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it('without TX_SW_CSUM, veth hands the packet on with the checksum still to do: the field arrives as sent', async () => {
    using xsk = await sender();
    const frame = pair.udpFrame('left to the device');
    const got = await sendAndCapture(xsk, frame, { checksum: CHECKSUM });
    expect(udpChecksum(got)).toBe(0);
    await drain(xsk);
  });

  it('a timestamp request is answered at completion with the kernel’s CLOCK_TAI time of the send', async () => {
    using xsk = await sender({ softwareChecksum: true });
    const stamps: bigint[] = [];
    const before = BigInt(Date.now()) * 1_000_000n;
    await sendAndCapture(xsk, pair.udpFrame('timestamped'), {
      checksum: CHECKSUM,
      timestamp: (ns) => stamps.push(ns),
    });
    await drain(xsk);
    expect(stamps).toHaveLength(1);
    // CLOCK_TAI runs ahead of the wall clock by the kernel's TAI offset (0 unless set, 37 s when
    // NTP set it): within a minute of the send, where the request's own bytes would be tiny.
    const ms = Number((stamps[0]! - before) / 1_000_000n);
    expect(ms).toBeGreaterThan(-1000);
    expect(ms).toBeLessThan(60_000);
    // A frame without a timestamp request: its callback-free completion hands out nothing.
    await sendAndCapture(xsk, pair.udpFrame('no timestamp'));
    await drain(xsk);
    expect(stamps).toHaveLength(1);
  });

  it('a launch time is taken in copy mode beside a checksum (veth has no launch-time offload: the frame leaves at once)', async () => {
    using xsk = await sender({ softwareChecksum: true });
    const frame = pair.udpFrame('launch time');
    const got = await sendAndCapture(xsk, frame, { checksum: CHECKSUM, launchTime: 1n << 62n });
    // the kernel took the metadata with its LAUNCH_TIME flag: it computed the checksum asked beside it
    expect(udpChecksum(got)).toBe(partialChecksum(frame.subarray(UDP)));
    await drain(xsk);
    expect(xsk.statistics().txInvalidDescs).toBe(0n);
  });

  it('a refused request queues nothing and takes no frame', async () => {
    using xsk = await sender();
    const frame = pair.udpFrame('refused');
    expect(() => xsk.transmit(frame, { checksum: { start: frame.byteLength - 1, offset: 0 } })).toThrow(
      /metadata\.checksum.*past the \d+-byte frame/,
    );
    expect(xsk.inFlight).toBe(0);
    // all four frames are still free
    for (let i = 0; i < 4; i++) expect(xsk.transmit(pair.udpFrame(`after ${i}`))).toBe(true);
    await drain(xsk);
  });

  it('XskTransmitRefusedError names the refused descriptor and its metadata flags', () => {
    const e = new XskTransmitRefusedError(
      'TX wake-up',
      7,
      0,
      { index: 3, address: 4120, length: 60, options: 2 },
      4,
    );
    expect(e.message).toMatch(
      /60-byte frame at UMEM address 4120 \(TX ring index 3\).*flags 0x4.*close the socket/,
    );
    expect(e.descriptor.options).toBe(2);
  });
});

/**
 * A copy-mode receive-only socket on queue 0 of `peer`, opened inside its namespace, waiting
 * while the kernel still releases the previous test's socket there (EBUSY).
 */
async function openCapture(ns: string, peer: string): Promise<XskSocket> {
  const options = { interface: peer, mode: 'copy', ...SMALL, txSize: 0, frameCount: SMALL.fillSize } as const;
  for (let i = 0; ; i++) {
    try {
      return inNetns(ns, () => XskSocket.open(options));
    } catch (e) {
      if (!(e instanceof XskQueueBusyError) || i >= 100) throw e;
      await sleep(20);
    }
  }
}

describeKernel('the kernel on TX metadata it cannot act on (raw AF_XDP calls, copy mode)', () => {
  const pair = new XskVeth('xd', 172);
  beforeAll(() => {
    pair.create();
  });
  afterAll(() => pair.destroy());

  /**
   * A bound copy-mode TX socket on the host side, its UMEM registered with `txMetadataLen`, one
   * descriptor queued at address 4096 + txMetadataLen with the TX_METADATA option and `flags`
   * in its metadata; returns what each of two wake-ups did and where the TX ring's consumer is.
   */
  async function refusedTwice(txMetadataLen: number | undefined, flags: bigint) {
    const fd = xdpSocket();
    try {
      using umem = MappedMemory.map({
        length: 4 * 4096,
        prot: Prot.READ | Prot.WRITE,
        flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
      });
      xdpUmemRegister(fd, umem, { chunkSize: 4096, ...(txMetadataLen ? { txMetadataLen } : {}) });
      for (const kind of ['fill', 'completion', 'tx'] as const) xdpSetRingSize(fd, kind, 4);
      const offsets = xdpMmapOffsets(fd);
      using tx = xdpMapRing(fd, 'tx', 4, offsets.tx);
      using _completion = xdpMapRing(fd, 'completion', 4, offsets.completion);
      for (let i = 0; ; i++) {
        try {
          xdpBind(fd, { ifindex: ifindex(pair.host), flags: XdpBindFlag.COPY });
          break;
        } catch (e) {
          if (!(e instanceof BpfSyscallError && e.code === 'EBUSY') || i >= 100) throw e;
          await sleep(20);
        }
      }
      const frame = pair.udpFrame('refused');
      const data = 4096 + (txMetadataLen ?? 0);
      new Uint8Array(umem.unsafeArrayBuffer()).set(frame, data);
      const bytes = new DataView(umem.unsafeArrayBuffer());
      bytes.setBigUint64(4096 + XSK_TX_METADATA_LAYOUT.flags, flags, HOST_LITTLE_ENDIAN);
      const ring = new DataView(tx.unsafeArrayBuffer());
      ring.setBigUint64(offsets.tx.desc, BigInt(data), HOST_LITTLE_ENDIAN);
      ring.setUint32(offsets.tx.desc + 8, frame.byteLength, HOST_LITTLE_ENDIAN);
      ring.setUint32(offsets.tx.desc + 12, XdpDescOption.TX_METADATA, HOST_LITTLE_ENDIAN);
      ring.setUint32(offsets.tx.producer, 1, HOST_LITTLE_ENDIAN);
      const wake = () => {
        try {
          return xdpWakeupTx(fd);
        } catch (e) {
          return (e as BpfSyscallError).code;
        }
      };
      return { wakeups: [wake(), wake()], consumer: ring.getUint32(offsets.tx.consumer, HOST_LITTLE_ENDIAN) };
    } finally {
      close(fd);
    }
  }

  it('refuses (EINVAL) a frame flagged TX_METADATA on a UMEM without a metadata area, and keeps it at the head', async () => {
    expect(await refusedTwice(undefined, BigInt(XdpTxMetadataFlag.TIMESTAMP))).toEqual({
      wakeups: ['EINVAL', 'EINVAL'],
      consumer: 0,
    });
  });

  it('refuses (EINVAL) a metadata flag it does not know, and keeps the frame at the head', async () => {
    expect(await refusedTwice(24, 8n)).toEqual({ wakeups: ['EINVAL', 'EINVAL'], consumer: 0 });
    // the same frame with a flag it knows leaves
    expect(await refusedTwice(24, BigInt(XdpTxMetadataFlag.TIMESTAMP))).toEqual({
      wakeups: [true, true],
      consumer: 1,
    });
  });
});

describe('zero-copy TX offloads', () => {
  it('a request is missing where the device lists no matching xsk-feature', () => {
    const all = XdpTxMetadataFlag.CHECKSUM | XdpTxMetadataFlag.TIMESTAMP | XdpTxMetadataFlag.LAUNCH_TIME;
    expect(offloadsMissing(all, 0)).toEqual([
      'checksum (tx-checksum)',
      'timestamp (tx-timestamp)',
      'launchTime (tx-launch-time-fifo)',
    ]);
    expect(offloadsMissing(all, NetdevXskFlag.TX_CHECKSUM | NetdevXskFlag.TX_TIMESTAMP)).toEqual([
      'launchTime (tx-launch-time-fifo)',
    ]);
    expect(offloadsMissing(XdpTxMetadataFlag.TIMESTAMP, NetdevXskFlag.TX_TIMESTAMP)).toEqual([]);
    const e = new XskTxOffloadError('transmit()', 5, 1, ['checksum (tx-checksum)']);
    expect(e.message).toMatch(
      /queue 1 asks for TX metadata the device does not act on in zero-copy mode: checksum \(tx-checksum\) missing from the xsk-features of ifindex 5/,
    );
  });
});
