import {
  add,
  and,
  call,
  type Fragment,
  isRegister,
  ldx,
  mov,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R10,
  type Register,
  rsh,
  stx,
  xor,
} from '@ts-ebpf/dsl';
import { checkOffset, type PacketPosition } from './cursor.js';
import { PacketDslError } from './errors.js';

/**
 * Folds a 32-bit one's-complement sum in `sum` to 16 bits and complements it: the checksum
 * to store (raw, in the packet's order when the sum came from raw packet words). `tmp` is
 * clobbered. Nine instructions.
 */
export function csumFold(sum: Register, tmp: Register): Fragment {
  if (!isRegister(sum) || !isRegister(tmp) || sum === tmp)
    throw new PacketDslError('csumFold takes two different registers (sum, tmp)');
  const round = [mov(tmp, sum), rsh(tmp, 16), and(sum, 0xffff), add(sum, tmp)];
  return [round, round, xor(sum, 0xffff)];
}

/** Options of {@link csumReplace}. */
export interface CsumReplaceOptions {
  /** The header holding the checksum; its base must be R6–R9 (the helper call clobbers R0–R5). */
  readonly at: PacketPosition;
  /** Offset of the 16-bit checksum inside the header (e.g. `Ipv4.CHECK`, `Udp.CHECK`, `Tcp.CHECK`). */
  readonly field: number;
  /** Stack offset (negative, from R10) of the old bytes, as the packet held them. */
  readonly from: number;
  /** Stack offset (negative, from R10) of the new bytes, as the packet will hold them. */
  readonly to: number;
  /** How many bytes changed: a multiple of 4, at most 512 (`bpf_csum_diff`'s limit). */
  readonly bytes: number;
}

function checkStack(offset: number, bytes: number, what: string): void {
  if (!Number.isInteger(offset) || offset >= 0 || offset < -512 || offset + bytes > 0)
    throw new PacketDslError(
      `csumReplace option '${what}' ${offset} does not hold ${bytes} bytes of the stack`,
    );
}

/**
 * Updates a 16-bit Internet checksum in the packet after `bytes` bytes it covers changed
 * from the stack bytes at `from` to those at `to` (RFC 1624: `~fold(csum_diff(old, new, ~csum))`),
 * with `bpf_csum_diff` and {@link csumFold}. The checksum field must be inside a bounds check.
 * Clobbers R0–R5. A UDP checksum of 0 (none, over IPv4) is the caller's to leave alone.
 * @throws PacketDslError for a base in R0–R5, a bad size or stack offset
 */
export function csumReplace(o: CsumReplaceOptions): Fragment {
  const base = o.at.base;
  if (!isRegister(base) || base.num < 6 || base.num > 9)
    throw new PacketDslError(
      `csumReplace base register ${String(base?.name)} must be r6-r9 (the helper call clobbers r0-r5)`,
    );
  if (!Number.isInteger(o.bytes) || o.bytes <= 0 || o.bytes % 4 !== 0 || o.bytes > 512)
    throw new PacketDslError(`csumReplace option 'bytes' ${o.bytes} is not a multiple of 4 in 4..512`);
  checkStack(o.from, o.bytes, 'from');
  checkStack(o.to, o.bytes, 'to');
  const off = checkOffset(o.at.offset + o.field, 'checksum field');
  return [
    ldx('h', R5, base, off),
    xor(R5, 0xffff),
    mov(R1, R10),
    add(R1, o.from),
    mov(R2, o.bytes),
    mov(R3, R10),
    add(R3, o.to),
    mov(R4, o.bytes),
    call('csum_diff'),
    csumFold(R0, R1),
    stx('h', base, R0, off),
  ];
}
