import { and, type Fragment, ldx } from '@ts-ebpf/dsl';
import { type Miss, missIf, type PacketCursor, type PacketPosition } from './cursor.js';
import { net16 } from './fields.js';

/**
 * `if (be16 at field & mask) != 0 goto miss`: goes to `miss` when the fragment offset held
 * in the 16-bit network-order word at `at + field` under `mask` is not 0, i.e. for a fragment
 * other than the first (IPv4 `frag_off` under 0x1fff; the IPv6 fragment header's word at 2
 * under 0xfff8). The word must be inside a bounds check. `what` names `miss` (the option that
 * gave it). Clobbers `cursor.scratch`.
 */
export function laterFragmentCheck(
  c: PacketCursor,
  at: PacketPosition,
  field: number,
  mask: number,
  miss: Miss,
  what: string,
): Fragment {
  const s = c.scratch;
  return [
    ldx('h', s, at.base, at.offset + field),
    and(s, net16(mask, c.byteOrder)),
    missIf(s, 0, miss, what),
  ];
}
