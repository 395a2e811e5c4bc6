import { format, program, R0, R1, R2, R3, R4, R5 } from '@ts-ebpf/dsl';
import { describe, expect, it } from 'vitest';
import { ethernet, ipv4, net16, net32, packetCursor, udp } from '../src/index.js';

describe('emitted code', () => {
  it('network-order constants follow the byte order given', () => {
    expect(net16(0x0800, 'little')).toBe(0x0008);
    expect(net16(0x0800, 'big')).toBe(0x0800);
    expect(net32(0x0a000001, 'little')).toBe(0x0100000a);
    expect(net32(0xc0000201, 'big')).toBe(0xc0000201 | 0);
  });

  it('fixed-length headers cost their bounds check and loads only: offsets stay constant', () => {
    const c = packetCursor({ data: R2, end: R3, pos: R4, scratch: R5, byteOrder: 'little' });
    const e = ethernet(c, c.start, { etherType: R0, vlanTags: 0, order: 'network', miss: 'drop' });
    const ip = ipv4(c, e.next, { protocol: R1, options: false, miss: 'drop' });
    const u = udp(c, ip.next, { destinationPort: R1, order: 'network', miss: 'drop' });
    expect(u.next).toEqual({ base: R2, offset: 42 });
    const text = format(program(e.code, ip.code, u.code))
      .trim()
      .split('\n');
    expect(text).toEqual([
      'r5 = r2',
      'r5 += 14',
      'if r5 > r3 goto drop',
      'r0 = *(u16 *)(r2 + 12)',
      'r5 = r2',
      'r5 += 34',
      'if r5 > r3 goto drop',
      'r1 = *(u8 *)(r2 + 23)',
      'r5 = r2',
      'r5 += 42',
      'if r5 > r3 goto drop',
      'r1 = *(u16 *)(r2 + 36)',
    ]);
  });
});
