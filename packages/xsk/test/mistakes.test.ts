// The error catalog of @ts-ebpf/xsk: plausible mistakes with an AF_XDP socket, each refused with a
// typed error that names its subject, and no fd left open.
import { InterfaceNotFoundError } from '@ts-ebpf/programs';
import { BpfArgumentError, BpfSyscallError, InvalidArgumentError, ObjectClosedError } from '@ts-ebpf/syscall';
import { catalog, describeKernel, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  XdpUmemHeadroomError,
  XskNoTxMetadataError,
  XskQueueBusyError,
  XskQueueRangeError,
  XskReceiveOnlyError,
  XskSocket,
  XskTransmitOnlyError,
  type XskTxMetadata,
} from '../src/index.js';
import { openXsk } from './support.js';

const pair = new VethPair('xm', 164);
const small = { frameCount: 8, fillSize: 4, rxSize: 4, txSize: 4, completionSize: 4 } as const;

describeKernel('@ts-ebpf/xsk error catalog', () => {
  beforeAll(() => {
    pair.create(6);
  });
  afterAll(() => pair.destroy());

  catalog([
    {
      what: 'a frame size that is not a power of two',
      act: () => XskSocket.open({ interface: pair.host, frameSize: 3000 }),
      error: BpfArgumentError,
      names: ['frameSize', '3000'],
    },
    {
      what: 'fewer frames than the fill ring takes',
      act: () => XskSocket.open({ interface: pair.host, frameCount: 16, fillSize: 32 }),
      error: BpfArgumentError,
      names: ['frameCount', '16'],
    },
    {
      what: 'a ring size that is not a power of two',
      act: () => XskSocket.open({ interface: pair.host, txSize: 1000 }),
      error: BpfArgumentError,
      names: ['txSize', '1000'],
    },
    {
      what: 'a headroom that leaves no room for a packet',
      act: () => XskSocket.open({ interface: pair.host, ...small, headroom: 4000 }),
      error: BpfArgumentError,
      names: ['headroom', '4000'],
    },
    {
      what: 'a headroom that leaves less than 128 bytes for a packet, checked before any system call',
      act: () => XskSocket.open({ interface: 'nosuchif0', ...small, headroom: 4096 - 383 }),
      error: BpfArgumentError,
      names: ['headroom', '3713', '3712'],
    },
    {
      // 256 + 128 + the tailroom of this kernel build (320 bytes on x86-64): at most 3392
      what: 'a headroom the kernel has no room for once its tailroom is kept',
      act: () => XskSocket.open({ interface: pair.host, ...small, headroom: 3500 }),
      error: XdpUmemHeadroomError,
      names: ['headroom 3500', '4096-byte frames', 'tailroom'],
      cause: InvalidArgumentError,
    },
    // With an interface that does not exist: an error naming the option (not the interface)
    // shows the option was checked before any system call, the interface lookup included.
    ...(
      [
        ['a negative headroom', { headroom: -1 }, ['headroom', '-1']],
        ['a negative queue', { queueId: -1 }, ['queueId', '-1']],
        ['a fractional queue', { queueId: 1.5 }, ['queueId', '1.5']],
        ['a frame size above the page size', { frameSize: 8192 }, ['frameSize', '8192']],
        ['needWakeup that is not a boolean', { needWakeup: 'no' }, ['needWakeup', '"no"']],
        ['a mode that is an Object.prototype key', { mode: 'toString' }, ['mode', '"toString"']],
        [
          'as many frames as the fill ring takes: none left to transmit',
          { frameCount: 4 },
          ['frameCount', 'at least one must be left to transmit', 'txSize: 0'],
        ],
        [
          'neither an RX nor a TX ring',
          { rxSize: 0, txSize: 0 },
          ['rxSize and txSize are both 0', 'an RX ring or a TX ring'],
        ],
        [
          'a transmit-only socket without a frame',
          { rxSize: 0, frameCount: 0 },
          ['frameCount', 'transmit-only', 'got 0'],
        ],
        [
          'a receive-only socket with frames past the fill ring',
          { txSize: 0, frameCount: 8 },
          ['frameCount', 'receive-only', 'got 8'],
        ],
        ['a TX metadata length that is no multiple of 8', { txMetadataLen: 20 }, ['txMetadataLen', 'got 20']],
        [
          'TX metadata on a receive-only socket',
          { txSize: 0, frameCount: 4, txMetadataLen: 24 },
          ['txMetadataLen', 'receive-only'],
        ],
        [
          'a software checksum outside copy mode',
          { txMetadataLen: 24, softwareChecksum: true },
          ['softwareChecksum', 'only in copy mode', '"auto"'],
        ],
        [
          'a software checksum without TX metadata',
          { mode: 'copy', softwareChecksum: true },
          ['softwareChecksum', 'give a txMetadataLen'],
        ],
      ] as const
    ).map(([what, bad, names]) => ({
      what: `${what}, checked before any system call`,
      act: () => XskSocket.open({ interface: 'nosuchif0', ...small, ...(bad as object) }),
      error: BpfArgumentError,
      names,
    })),
    {
      what: 'an interface that does not exist',
      act: () => XskSocket.open({ interface: 'nosuchif0', ...small }),
      error: InterfaceNotFoundError,
      names: ['nosuchif0'],
    },
    {
      what: 'an ifindex no interface has',
      act: () => XskSocket.open({ interface: 0x7ffffff0, ...small }),
      error: InterfaceNotFoundError,
      names: ['ifindex 2147483632'],
    },
    {
      what: "a queue beyond the interface's queues, refused before the socket is made",
      act: () => XskSocket.open({ interface: pair.host, ...small, queueId: 6 }),
      error: XskQueueRangeError,
      names: ['queue 6', `'${pair.host}'`, '6 RX and 6 TX queues in use', '0 to 5'],
    },
    {
      what: 'zero-copy on a driver without it (veth)',
      act: () => XskSocket.open({ interface: pair.host, ...small, mode: 'zerocopy' }),
      error: BpfSyscallError,
      names: ['bind'],
    },
    {
      what: 'transmitting a frame longer than the frame size',
      act: () => {
        using xsk = XskSocket.open({ interface: pair.host, ...small, queueId: 1 });
        xsk.transmit(new Uint8Array(5000));
      },
      error: BpfArgumentError,
      names: ['frame', '5000'],
    },
    {
      what: 'transmitting on a receive-only socket',
      act: () => {
        using xsk = XskSocket.open({ interface: pair.host, ...small, frameCount: 4, txSize: 0, queueId: 4 });
        xsk.transmit(new Uint8Array(60));
      },
      error: XskReceiveOnlyError,
      names: ['transmit()', 'queue 4', 'txSize: 0'],
    },
    {
      what: 'receiving on a transmit-only socket',
      act: () => {
        using xsk = XskSocket.open({ interface: pair.host, ...small, rxSize: 0, frameCount: 4, queueId: 5 });
        xsk.receive();
      },
      error: XskTransmitOnlyError,
      names: ['receive()', 'queue 5', 'rxSize: 0'],
    },
    {
      what: 'TX metadata on a socket opened without txMetadataLen',
      act: async () => {
        using xsk = await openXsk({ interface: pair.host, ...small, queueId: 0 });
        xsk.transmit(new Uint8Array(60), { checksum: { start: 34, offset: 6 } });
      },
      error: XskNoTxMetadataError,
      names: ['transmit()', 'queue 0', 'without txMetadataLen'],
    },
    ...(
      [
        [
          'a checksum that ends past the frame',
          { checksum: { start: 54, offset: 6 } },
          ['metadata.checksum', 'ends at byte 62', 'past the 60-byte frame'],
        ],
        [
          'a checksum start that is no u16',
          { checksum: { start: 70000, offset: 6 } },
          ['metadata.checksum.start', '70000'],
        ],
        [
          'an unknown TX metadata request',
          { timestmap: true },
          ['metadata.timestmap', 'did you mean timestamp'],
        ],
        [
          'a timestamp that is no callback',
          { timestamp: true },
          ['metadata.timestamp', 'expected a function'],
        ],
        ['a request that asks for nothing', {}, ['metadata', 'asks for nothing']],
      ] as const
    ).map(([what, metadata, names]) => ({
      what: `${what}, refused before the frame is queued`,
      act: async () => {
        using xsk = await openXsk({ interface: pair.host, ...small, queueId: 0, txMetadataLen: 24 });
        try {
          xsk.transmit(new Uint8Array(60), metadata as XskTxMetadata);
        } finally {
          expect(xsk.inFlight).toBe(0);
        }
      },
      error: BpfArgumentError,
      names,
    })),
    {
      what: 'a frame that fills the UMEM frame on a socket that keeps TX metadata before it',
      act: async () => {
        using xsk = await openXsk({ interface: pair.host, ...small, queueId: 0, txMetadataLen: 24 });
        xsk.transmit(new Uint8Array(4096 - 23));
      },
      error: BpfArgumentError,
      names: ['frame', 'is 4073 bytes', 'frameSize − txMetadataLen (4072)'],
    },
    {
      what: 'a launch time without room in a 16-byte TX metadata area',
      act: async () => {
        using xsk = await openXsk({ interface: pair.host, ...small, queueId: 0, txMetadataLen: 16 });
        xsk.transmit(new Uint8Array(60), { launchTime: 1n });
      },
      error: BpfArgumentError,
      names: ['metadata.launchTime', 'has 16 bytes', 'txMetadataLen of at least 24'],
    },
    {
      what: 'a second socket on a queue that has one',
      act: () => {
        using _first = XskSocket.open({ interface: pair.host, ...small, queueId: 3 });
        XskSocket.open({ interface: pair.host, ...small, queueId: 3 });
      },
      error: XskQueueBusyError,
      names: [`'${pair.host}'`, 'queue 3'],
      cause: BpfSyscallError,
    },
    {
      what: 'receiving on a closed socket',
      act: () => {
        const xsk = XskSocket.open({ interface: pair.host, ...small, queueId: 2 });
        xsk.close();
        xsk.receive();
      },
      error: ObjectClosedError,
      names: ['AF_XDP socket'],
    },
  ]);
});
