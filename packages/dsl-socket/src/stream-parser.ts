import { exit, type Instruction, isRegister, R0, type SectionReturns } from '@ts-ebpf/dsl';
import { SocketArgumentError } from './errors.js';
import { setArg, type Value } from './values.js';

/** The named return codes of `sk_skb/stream_parser`: none, a parser returns a length. */
export const STREAM_PARSER_RETURN_CODES: Readonly<Record<never, number>> = Object.freeze({});

/**
 * What `sk_skb/stream_parser` programs return, for the sk_skb plugin's `sectionReturns`: no
 * verdict (SK_PASS and SK_DROP are not return codes there) but a length.
 */
export const STREAM_PARSER_RETURNS: SectionReturns = Object.freeze({
  codes: STREAM_PARSER_RETURN_CODES,
  returns: 'the length in bytes of the next message, 0 for "need more data" (returnLength)',
});

/**
 * `r0 = length; exit`: the answer of a stream parser (`sk_skb/stream_parser`), which the
 * kernel's strparser asks for the length of the next message: its length in bytes, counted from
 * where the message begins, or 0 when the parser needs more data to tell (the kernel calls it
 * again when more came). The verdict program then runs once for each message (SK_PASS queues
 * that message's bytes, SK_DROP drops them). Neither program is told where the message begins: both
 * get the whole buffer the message starts in (`skb->len` counts from its start, which may hold
 * earlier messages), so a parser that reads a header of its own only works when each message
 * starts a buffer. A negative value (an errno, from a register), or a length past the socket's
 * receive buffer (EMSGSIZE), stops the parser and sets that error on the socket. A constant
 * must be a non-negative 32-bit integer; a register is returned as it is (nothing to move for
 * R0).
 * @throws SocketArgumentError for a constant that is negative, not an integer or past 2^31 - 1
 */
export function returnLength(length: Value): Instruction[] {
  if (!isRegister(length) && length < 0)
    throw new SocketArgumentError(
      'length',
      `${length} is negative: a stream parser returns the next message's length in bytes, or 0 for "need more data"`,
    );
  return [...setArg(R0, length, 'length'), exit()];
}
