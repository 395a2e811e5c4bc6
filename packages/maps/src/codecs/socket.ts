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
  write: (d, o, v, p) => {
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new CodecError(p, `${String(v)} is not a socket fd (a non-negative int)`);
    }
    d.setUint32(o, v, true);
    d.setUint32(o + 4, 0, true);
  },
  read: (d, o) => {
    const cookie = d.getBigUint64(o, true);
    if (cookie > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CodecError(
        'value',
        `socket cookie ${cookie} is beyond 2^53: read the map with a u64 value codec`,
      );
    }
    return Number(cookie);
  },
};
