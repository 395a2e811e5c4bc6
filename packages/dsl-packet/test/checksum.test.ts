import {
  exit,
  jeq,
  jne,
  ldx,
  mark,
  mov,
  program,
  R0,
  R1,
  R3,
  R5,
  R6,
  R7,
  R8,
  R9,
  R10,
  st,
  stx,
} from '@ts-ebpf/dsl';
import { BpfProgType, progTestRun } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import {
  csumReplace,
  ensure,
  ethernet,
  Ipv4,
  ipv4,
  loadPacketPointers,
  net16,
  net32,
  packetCursor,
  storeField,
  Tcp,
  Udp,
} from '../src/index.js';
import { eth, inetChecksum, ipv4 as ipv4Header, tcp, udp } from './support/frames.js';
import { withLoaded } from './support/kernel.js';
import { CONTEXTS } from './support/parse-program.js';

const NEW_SOURCE = 0x0a090807; // 10.9.8.7
const NEW_PORT = 8080;

/** The L4 checksum over the IPv4 pseudo-header and the segment, with the checksum field zeroed. */
function l4Checksum(frame: Uint8Array, l3: number, l4: number, checkAt: number): number {
  const seg = Array.from(frame.subarray(l4));
  seg[checkAt] = 0;
  seg[checkAt + 1] = 0;
  const pseudo = [...frame.subarray(l3 + 12, l3 + 20), 0, frame[l3 + 9]!, seg.length >> 8, seg.length & 0xff];
  return inetChecksum([...pseudo, ...seg]);
}

function ipChecksum(frame: Uint8Array, l3: number): number {
  const ihl = (frame[l3]! & 0x0f) * 4;
  const h = Array.from(frame.subarray(l3, l3 + ihl));
  h[10] = 0;
  h[11] = 0;
  return inetChecksum(h);
}

const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;

/** Builds a frame with correct IPv4 and L4 checksums. */
function checkedFrame(
  proto: 6 | 17,
  optionWords: number,
): { bytes: Uint8Array; l4: number; checkAt: number } {
  const l4Bytes = proto === 6 ? tcp(1234, 80, 0x18) : udp(1234, 80, 4);
  const payload = [1, 2, 3, 4];
  const bytes = Uint8Array.from([
    ...eth(0x0800),
    ...ipv4Header(proto, l4Bytes.length + 4, optionWords),
    ...l4Bytes,
    ...payload,
  ]);
  const l4 = 14 + 20 + optionWords * 4;
  const checkAt = proto === 6 ? Tcp.CHECK : Udp.CHECK;
  const c = l4Checksum(bytes, 14, l4, checkAt);
  bytes[l4 + checkAt] = c >> 8;
  bytes[l4 + checkAt + 1] = c & 0xff;
  return { bytes, l4, checkAt };
}

/** XDP: rewrite the IPv4 source address and the destination port, updating both checksums incrementally. */
function rewriteProgram() {
  const c = packetCursor({ data: R7, end: R8, pos: R6, scratch: R5, byteOrder: HOST_BYTE_ORDER });
  const e = ethernet(c, c.start, { etherType: R0, vlanTags: 0, order: 'network', miss: 'pass' });
  const ip = ipv4(c, e.next, { protocol: R9, source: R3, miss: 'pass' });
  const l4 = ip.next;
  const rewrite = (checkAt: number, size: number) => [
    ensure(c, l4, size, 'pass'),
    // the source address: old and new on the stack, the new one into the packet
    stx('w', R10, R3, -8),
    st('w', R10, -4, net32(NEW_SOURCE, HOST_BYTE_ORDER)),
    storeField(c, { at: e.next, field: Ipv4.SADDR, bytes: 4 }, NEW_SOURCE),
    csumReplace({ at: e.next, field: Ipv4.CHECK, from: -8, to: -4, bytes: 4 }),
    csumReplace({ at: l4, field: checkAt, from: -8, to: -4, bytes: 4 }), // the pseudo-header holds it too
    // the destination port, through the 4-byte word holding both ports
    ldx('w', R1, l4.base, l4.offset),
    stx('w', R10, R1, -16),
    mov(R1, NEW_PORT), // a host-order register: storeField swaps it in the scratch register
    storeField(c, { at: l4, field: 2, bytes: 2 }, R1),
    ldx('w', R1, l4.base, l4.offset),
    stx('w', R10, R1, -12),
    csumReplace({ at: l4, field: checkAt, from: -16, to: -12, bytes: 4 }),
    mov(R0, 3), // XDP_TX: rewritten
    exit(),
  ];
  return program(
    loadPacketPointers(c, R1, CONTEXTS.xdp),
    e.code,
    jne(R0, net16(0x0800, HOST_BYTE_ORDER), 'pass'),
    ip.code,
    jeq(R9, 17, 'udp'),
    jne(R9, 6, 'pass'),
    rewrite(Tcp.CHECK, Tcp.SIZE),
    mark('udp'),
    rewrite(Udp.CHECK, Udp.SIZE),
    mark('pass'),
    mov(R0, 2),
    exit(),
  );
}

describeKernel('incremental checksum updates (bpf_csum_diff + fold)', () => {
  it('equal a full recomputation after rewriting the source address and a port (TCP, UDP, IP options)', () => {
    withLoaded(rewriteProgram(), BpfProgType.XDP, (fd) => {
      for (const [proto, words] of [
        [6, 0],
        [17, 0],
        [6, 3],
        [17, 1],
      ] as const) {
        const f = checkedFrame(proto, words);
        const input = Uint8Array.from(f.bytes);
        const out = new Uint8Array(f.bytes.length + 64);
        const r = progTestRun({ progFd: fd, dataIn: f.bytes, dataOut: out });
        expect(r.retval).toBe(3);
        expect(f.bytes).toEqual(input);
        const o = out.subarray(0, r.dataSizeOut);
        expect([...o.subarray(26, 30)]).toEqual([10, 9, 8, 7]);
        expect(be16(o, f.l4 + 2)).toBe(NEW_PORT);
        expect(be16(o, 24), `IPv4 checksum, proto ${proto}, ${words} option words`).toBe(ipChecksum(o, 14));
        expect(be16(o, f.l4 + f.checkAt), `L4 checksum, proto ${proto}`).toBe(
          l4Checksum(o, 14, f.l4, f.checkAt),
        );
        expect(be16(o, 24)).not.toBe(be16(f.bytes, 24));
      }
    });
  });
});
