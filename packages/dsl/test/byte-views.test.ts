import { sameForEveryView } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  assemble,
  cond,
  disassemble,
  exit,
  forLoop,
  ifElse,
  ldImm64,
  ldMapFd,
  ldMapValue,
  mov,
  program,
  programTag,
  R0,
  R1,
  R2,
} from '../src/index.js';
import { DIRECT_ENCODINGS, llvmCompatibleCorpus } from './support/corpus.js';

const all = [...llvmCompatibleCorpus(), ...DIRECT_ENCODINGS.map(([insn]) => insn)];

describe('byte inputs: a Buffer, an odd-offset subarray and a plain Uint8Array give one result', () => {
  it.each(['little', 'big'] as const)('disassemble (%s-endian, the whole ISA)', (byteOrder) => {
    const got = sameForEveryView(assemble(all, { byteOrder }), (b) => disassemble(b, { byteOrder }));
    expect(got).toStrictEqual(all);
  });

  it('disassemble with labels', () => {
    const prog = program(
      forLoop(R1, 4, [ifElse(cond(R1, '==', 2), [mov(R0, 1)], [ldImm64(R2, 1n << 40n)])]),
      exit(),
    );
    const got = sameForEveryView(assemble(prog), (b) => disassemble(b, { labels: true }));
    expect(got.filter((i) => i.target !== undefined).length).toBeGreaterThan(2);
  });

  it('programTag of bytes with map loads does not zero the caller immediates', () => {
    const prog = [ldMapFd(R1, 'm'), ldMapValue(R2, 'm', 8), mov(R1, 1)];
    const bytes = assemble(prog, { maps: { m: 1234 } });
    const tag = sameForEveryView(bytes, (b) => programTag(b));
    expect(tag).toBe(programTag(prog));
    const sha1 = sameForEveryView(bytes, (b) => programTag(b, { hash: 'sha1' }));
    expect(sha1).toBe(programTag(prog, { hash: 'sha1' }));
  });

  it('errors name the same byte offset whatever the view', () => {
    const bytes = assemble([mov(R1, 1), mov(R2, 2)]);
    bytes[9] = 0xbb; // registers r11 and r11
    const messages = sameForEveryView(bytes, (b) => {
      try {
        disassemble(b);
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(messages).toMatch(/at byte 8:/);
  });
});
