import { type Fragment, R2, R7, R8, R9 } from '@ts-ebpf/dsl';
import { loadPacketPointers, type PacketCursor, packetCursor } from '@ts-ebpf/dsl-packet';
import { type ByteOrder, byteOrderMistake } from '@ts-ebpf/uapi';
import { TC_CTX, TC_SK_BUFF } from './context.js';
import { TcArgumentError } from './errors.js';

/** Where `data` and `data_end` are in `struct __sk_buff`, for `loadPacketPointers` of `@ts-ebpf/dsl-packet`. */
export const SK_BUFF_PACKET_POINTERS = Object.freeze({
  data: TC_SK_BUFF.fields.data.offset,
  dataEnd: TC_SK_BUFF.fields.data_end.offset,
});

/**
 * The packet cursor the tc templates use: `data` in R7, `data_end` in R8, the moving position
 * in R9 (all kept across helper calls) and R2 as scratch, for programs of byte order
 * `byteOrder`.
 */
export function tcCursor(byteOrder: ByteOrder): PacketCursor {
  // Checked here, where the caller's option is named: the cursor's own check names the cursor.
  const mistake = byteOrderMistake(byteOrder);
  if (mistake !== undefined) throw new TcArgumentError('template byteOrder', mistake);
  return packetCursor({ data: R7, end: R8, pos: R9, scratch: R2, byteOrder });
}

/** Loads `skb->data` and `skb->data_end` into the cursor's registers from the context in {@link TC_CTX}. */
export function loadSkbPointers(cursor: PacketCursor, ctx = TC_CTX): Fragment {
  return loadPacketPointers(cursor, ctx, SK_BUFF_PACKET_POINTERS);
}
