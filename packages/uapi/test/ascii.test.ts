import { describe, expect, it } from 'vitest';
import { asciiText } from '../src/index.js';

describe('asciiText', () => {
  it('reads ASCII bytes of any range, as one char a byte', () => {
    const bytes = new TextEncoder().encode('\0map_0\0.rodata\0');
    expect(asciiText(bytes)).toBe('\0map_0\0.rodata\0');
    expect(asciiText(bytes, 1, 6)).toBe('map_0');
    expect(asciiText(bytes, 3, 3)).toBe('');
    // a Node Buffer at an offset of a larger one
    const buffer = Buffer.from('xxprog_7yy').subarray(2, 8);
    expect(asciiText(buffer)).toBe('prog_7');
  });

  it('reads more than one chunk of bytes', () => {
    const long = 'abcdefghij'.repeat(1001); // 10010 bytes: three chunks
    expect(asciiText(new TextEncoder().encode(long))).toBe(long);
  });

  it('is null where any byte is not ASCII', () => {
    const bytes = new TextEncoder().encode('ascii then é');
    expect(asciiText(bytes)).toBeNull();
    expect(asciiText(bytes, 0, 5)).toBe('ascii');
    const long = new Uint8Array(9000).fill(0x61);
    long[8999] = 0x80;
    expect(asciiText(long)).toBeNull();
  });
});
