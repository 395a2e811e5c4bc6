import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import * as d from '../src/index.js';
import { withProgram } from './support/kernel.js';
import { run } from './support/tools.js';

/**
 * Instructions bpftool 7.1 can print (it predates ISA v4) and the verifier leaves as they
 * are: immediate divisors (a register divisor gets a zero check inserted), an unknown
 * value from a helper so that both sides of every branch stay live.
 */
const PROGRAM = `
  call bpf_get_prandom_u32
  r6 = r0
  r7 = r0
  r7 += 3; r7 -= r6; r7 *= 5; r7 /= 3; r7 %= 7; r7 |= 0x10; r7 &= r6; r7 ^= -1
  r7 <<= 3; r7 >>= r6; r7 s>>= 2; r7 = -r7; r7 = be16 r7; r7 = le32 r7
  w8 = w6; w8 += 1; w8 *= w6; w8 /= 9; w8 %= 5; w8 <<= 2; w8 s>>= 1; w8 = -w8; w8 = 7
  r9 = 0x123456789abcdef ll
  *(u64 *)(r10 - 8) = r9
  *(u32 *)(r10 - 12) = w8
  *(u16 *)(r10 - 14) = 5
  *(u8 *)(r10 - 15) = 1
  r1 = *(u64 *)(r10 - 8)
  r2 = *(u32 *)(r10 - 12)
  r3 = *(u16 *)(r10 - 14)
  r4 = *(u8 *)(r10 - 15)
  lock *(u64 *)(r10 - 8) += r1
  lock *(u32 *)(r10 - 12) |= w2
  r1 = atomic_fetch_and((u64 *)(r10 - 8), r1)
  w2 = atomic_fetch_xor((u32 *)(r10 - 12), w2)
  r1 = xchg_64(r10 - 8, r1)
  r0 = r6
  r0 = cmpxchg_64(r10 - 8, r0, r1)
  if r6 == 1 goto +1
  if r6 != r7 goto +1
  if r6 > 2 goto +1
  if r6 >= r7 goto +1
  if r6 < 3 goto +1
  if r6 <= r7 goto +1
  if r6 & 4 goto +1
  if r6 s> r7 goto +1
  if r6 s>= -5 goto +1
  if r6 s< r7 goto +1
  if r6 s<= 6 goto +1
  if w6 == 1 goto +1
  if w6 s< -7 goto +1
  if w6 & w7 goto +1
  goto +0
  r0 = 0
  exit`;

describeKernel('parse reads what the kernel prints (bpftool prog dump xlated)', () => {
  it('text and bytes of the translated program agree, instruction by instruction', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsl-xlated-'));
    try {
      withProgram(d.parse(PROGRAM), (fd) => {
        const id = /prog_id:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!;
        const text = run('bpftool', ['prog', 'dump', 'xlated', 'id', id]);
        expect(text.stderr).toBe('');
        const bin = join(dir, 'xlated.bin');
        expect(run('bpftool', ['prog', 'dump', 'xlated', 'id', id, 'file', bin]).stderr).toBe('');
        const fromBytes = d.disassemble(new Uint8Array(readFileSync(bin)));
        const fromText = d.parse(text.stdout);
        expect(fromText).toHaveLength(fromBytes.length);
        expect(fromBytes.length).toBeGreaterThan(50);
        // The kernel rewrote the helper id into a call address; `call name#imm` carries it.
        expect(fromText[0]!.imm).not.toBe(7);
        expect(fromText).toEqual(fromBytes);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
