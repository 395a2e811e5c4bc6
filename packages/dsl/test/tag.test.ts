import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { sha1 } from '../src/sha1.js';
import { sha256 } from '../src/sha256.js';

const { R0, R1 } = d;

describe('pure-TypeScript digests', () => {
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 1000, 4096])(
    'sha1 and sha256 of %i bytes match node:crypto',
    (n) => {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      expect(Buffer.from(sha1(data)).toString('hex')).toBe(createHash('sha1').update(data).digest('hex'));
      expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    },
  );
});

describe('programTag', () => {
  const prog = [d.mov(R0, 0), d.exit()];

  it('is the first 8 bytes of the digest of the instructions', () => {
    const bytes = d.assemble(prog);
    expect(d.programTag(prog)).toBe(createHash('sha256').update(bytes).digest('hex').slice(0, 16));
    expect(d.programTag(prog, { hash: 'sha1' })).toBe(
      createHash('sha1').update(bytes).digest('hex').slice(0, 16),
    );
    expect(d.programTag(bytes)).toBe(d.programTag(prog));
  });

  it('ignores map fds and map value offsets, as the kernel does', () => {
    const a = [d.ldMapFd(R1, { fd: 3 }), d.ldMapValue(R1, { fd: 3 }, 8), d.exit()];
    const b = [d.ldMapFd(R1, { fd: 9 }), d.ldMapValue(R1, 'named', 16), d.exit()];
    expect(d.programTag(a)).toBe(d.programTag(b));
    expect(d.programTag([d.ldImm64(R1, 3), d.exit()])).not.toBe(d.programTag([d.ldImm64(R1, 9), d.exit()]));
  });

  it('counts instructions as the kernel does (ld_imm64 is two)', () => {
    expect(d.instructionCount([d.ldImm64(R1, 1), d.exit()])).toBe(3);
  });
});
