import { Buffer } from 'node:buffer';
import { parse } from '@ts-ebpf/dsl';
import { BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { Program } from '../src/index.js';

// Writes 0x5a over the packet's first byte and returns XDP_PASS with byte 1 added.
const WRITER = parse(`
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 8
  r0 = 0
  if r4 > r3 goto out
  r0 = *(u8 *)(r2 + 1)
  *(u8 *)(r2 + 0) = 90
out:
  r0 += 2
  exit
`);

const PACKET = Uint8Array.from({ length: 64 }, (_, i) => i + 1);

/** The packet as a plain array, a Buffer, and an odd-offset subarray of a larger buffer. */
function forms(): [string, Uint8Array][] {
  const big = new Uint8Array(PACKET.byteLength + 16).fill(0xee);
  big.set(PACKET, 7);
  return [
    ['plain Uint8Array', PACKET.slice()],
    ['Buffer', Buffer.from(PACKET)],
    ['odd-offset subarray', big.subarray(7, 7 + PACKET.byteLength)],
  ];
}

describeKernel('testRun takes any Uint8Array', () => {
  it('data: same result for each form, the caller bytes unchanged', () => {
    using p = Program.load({ type: BpfProgType.XDP, instructions: WRITER });
    const results = forms().map(([name, data]) => {
      const before = Uint8Array.from(data);
      const whole =
        data.buffer.byteLength > data.byteLength ? new Uint8Array(data.buffer).slice() : undefined;
      const r = p.testRun({ data });
      expect(Array.from(data), name).toEqual(Array.from(before));
      if (whole) expect(new Uint8Array(data.buffer), `${name}: the surrounding buffer`).toEqual(whole);
      return { retval: r.retval, data: Array.from(r.data) };
    });
    expect(results[0]!.retval).toBe(2 + PACKET[1]!);
    expect(results[0]!.data[0]).toBe(90);
    expect(results[0]!.data.slice(1)).toEqual(Array.from(PACKET.subarray(1)));
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('ctx: same result for each form of struct __sk_buff, the caller bytes unchanged', () => {
    // Returns skb->mark (offset 8 in struct __sk_buff) from the context given.
    using p = Program.load({
      type: BpfProgType.SCHED_CLS,
      instructions: parse('r0 = *(u32 *)(r1 + 8)\nexit'),
    });
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setUint32(8, 0x1234, true);
    const big = new Uint8Array(ctx.byteLength + 9);
    big.set(ctx, 5);
    const variants: [string, Uint8Array][] = [
      ['plain Uint8Array', ctx.slice()],
      ['Buffer', Buffer.from(ctx)],
      ['odd-offset subarray', big.subarray(5, 5 + ctx.byteLength)],
    ];
    for (const [name, c] of variants) {
      const before = Uint8Array.from(c);
      const r = p.testRun({ data: PACKET, ctx: c });
      expect(r.retval, name).toBe(0x1234);
      expect(Array.from(c), name).toEqual(Array.from(before));
    }
  });
});
