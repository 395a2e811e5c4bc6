import { CodecError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * The 8-byte value of socket maps (sockmap, sockhash, reuseport sockarray): written as a
 * socket fd, read back as that socket's cookie (`SO_COOKIE`), which is what the kernel returns
 * from a lookup. A cookie beyond 2^53 fails loudly instead of losing precision.
 */
export const socketValue: Codec<number> = {
  name: 'socket fd (read: cookie)',
  size: 8,
  align: 8,
  write: (d, o, v, p, order) => {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new CodecError(p, `${String(v)} is not a socket fd (a non-negative int)`);
    }
    // the kernel reads an 8-byte value as a u64 fd
    d.setBigUint64(o, BigInt(v), order === 'little');
  },
  read: (d, o, order) => {
    const cookie = d.getBigUint64(o, order === 'little');
    if (cookie > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CodecError(
        'value',
        `socket cookie ${cookie} is beyond 2^53: read the map with a u64 value codec`,
      );
    }
    return Number(cookie);
  },
};
