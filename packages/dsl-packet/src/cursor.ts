import {
  add,
  and,
  type Fragment,
  freshLabel,
  isRegister,
  jge,
  jgt,
  jle,
  jlt,
  ldx,
  lsh,
  mark,
  mov,
  R10,
  type Register,
  returnCode,
  rsh,
} from '@ts-ebpf/dsl';
import { type ByteOrder, byteOrderMistake } from '@ts-ebpf/uapi';
import { PacketDslError } from './errors.js';

/**
 * Where a bounds check that fails goes: a label of the caller's program, or an action code
 * the program returns at once (`r0 = action; exit`, emitted inline). An action is recorded as
 * the return code the option chose (`ChosenReturn` of `@ts-ebpf/dsl`): the section of a
 * plugin's program refuses one it does not return when the program is built.
 */
export type Miss = string | { readonly action: number };

/**
 * A header position: the header starts at `base + offset`, where `base` is a register holding
 * a packet pointer and `offset` is known when the program is built. Parsers keep fixed-length
 * advances in `offset` (no instruction) and move a register only for variable lengths.
 */
export interface PacketPosition {
  /** Register holding a packet pointer. */
  readonly base: Register;
  /** Constant byte offset from `base`. */
  readonly offset: number;
}

/** What a parser built: its instructions and where the next header starts. */
export interface Parsed {
  /** The parser's instructions (labels are fresh for every call). */
  readonly code: Fragment;
  /** Position of the next header, valid on the path that falls through `code`. */
  readonly next: PacketPosition;
}

/** Options of {@link packetCursor}. */
export interface PacketCursorOptions {
  /** Register holding the packet start (`data`). Parsers never change it. */
  readonly data: Register;
  /** Register holding the packet end (`data_end`). Parsers never change it. */
  readonly end: Register;
  /** Register parsers move across variable-length headers (VLAN tags, IPv4 options, IPv6 extension headers). */
  readonly pos: Register;
  /** Register clobbered by bounds checks and length arithmetic. */
  readonly scratch: Register;
  /** Byte order of the program (the target kernel's); network-order constants are built for it. */
  readonly byteOrder: ByteOrder;
}

/**
 * The registers packet code works with, and the program's byte order. It is the same for
 * every program type with direct packet access: where `data`/`data_end` come from is the
 * business of {@link loadPacketPointers}.
 */
export interface PacketCursor extends PacketCursorOptions {
  /** The packet start as a position (`data + 0`). */
  readonly start: PacketPosition;
}

/** Largest constant offset a load or store can encode (the instruction's signed 16-bit field). */
const MAX_OFFSET = 0x7fff;

/**
 * Makes a cursor from four distinct registers. R10 (the frame pointer) cannot be one; R0–R5
 * are fine for parsing but are clobbered by helper calls (keep packet pointers in R6–R9
 * across calls).
 * @throws PacketDslError naming the option when a register is not a register, is R10 or is used twice
 */
export function packetCursor(options: PacketCursorOptions): PacketCursor {
  const roles = ['data', 'end', 'pos', 'scratch'] as const;
  const seen = new Map<number, string>();
  for (const role of roles) {
    const r: unknown = options[role];
    if (!isRegister(r)) throw new PacketDslError(`packet cursor option '${role}' is not a register`);
    if (r === R10)
      throw new PacketDslError(`packet cursor option '${role}' cannot be r10 (the read-only frame pointer)`);
    const other = seen.get(r.num);
    if (other !== undefined)
      throw new PacketDslError(
        `packet cursor options '${other}' and '${role}' are both ${r.name}: each needs its own register`,
      );
    seen.set(r.num, role);
  }
  const mistake = byteOrderMistake(options.byteOrder);
  if (mistake !== undefined) throw new PacketDslError(`packet cursor option 'byteOrder': ${mistake}`);
  return Object.freeze({ ...options, start: Object.freeze({ base: options.data, offset: 0 }) });
}

/** Offsets of the 32-bit packet pointer fields in a program's context. */
export interface PacketPointerFields {
  /** Offset of `data` (e.g. 0 in `struct xdp_md`, 76 in `struct __sk_buff`). */
  readonly data: number;
  /** Offset of `data_end` (e.g. 4 in `struct xdp_md`, 80 in `struct __sk_buff`). */
  readonly dataEnd: number;
}

/**
 * Loads `data` and `data_end` from the context in `ctx` into the cursor's registers. The
 * context layout (where the two fields are) is the caller's: the program type's plugin knows it.
 * @throws PacketDslError when an offset is not a 4-aligned context offset
 */
export function loadPacketPointers(
  cursor: PacketCursor,
  ctx: Register,
  fields: PacketPointerFields,
): Fragment {
  for (const name of ['data', 'dataEnd'] as const) {
    const off = fields[name];
    if (!Number.isInteger(off) || off < 0 || off > MAX_OFFSET || off % 4 !== 0)
      throw new PacketDslError(
        `packet pointer field '${name}' offset ${off} is not a 4-aligned context offset`,
      );
  }
  if (ctx === cursor.data)
    return [ldx('w', cursor.end, ctx, fields.dataEnd), ldx('w', cursor.data, ctx, fields.data)];
  return [ldx('w', cursor.data, ctx, fields.data), ldx('w', cursor.end, ctx, fields.dataEnd)];
}

/** Checks a constant offset fits an instruction; `what` names it in the error. */
export function checkOffset(offset: number, what: string): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET)
    throw new PacketDslError(`${what} offset ${offset} is outside 0..${MAX_OFFSET}`);
  return offset;
}

/** Checks a Miss value: a non-empty label or an action that fits the 32-bit immediate. */
export function checkMiss(miss: Miss, what: string): Miss {
  if (typeof miss === 'string' && miss.length > 0) return miss;
  if (
    typeof miss === 'object' &&
    miss !== null &&
    Number.isInteger(miss.action) &&
    Math.abs(miss.action) <= 0x7fffffff
  )
    return miss;
  throw new PacketDslError(`${what} must be a label or { action: <integer> }, not ${JSON.stringify(miss)}`);
}

/**
 * `if left > right goto miss` (or `<` with `below`), or the inline form of an action miss:
 * the inverse jump over `r0 = action; exit`, the action recorded as chosen by `what` (the
 * option that gave it, e.g. `ipv4 option miss`).
 */
export function missIf(
  left: Register,
  right: Register | number,
  miss: Miss,
  what: string,
  below = false,
): Fragment {
  if (typeof miss === 'string') return [below ? jlt(left, right, miss) : jgt(left, right, miss)];
  const ok = freshLabel('ok');
  return [below ? jge(left, right, ok) : jle(left, right, ok), returnCode(miss.action, what), mark(ok)];
}

/**
 * The verifier-proof bounds check `if (at + bytes > data_end) goto miss`: after it, loads and
 * stores in `[at, at + bytes)` are accepted. Three instructions (two when the reach is 0).
 * `what` names `miss` in errors, and as what chose its action (default `bounds check miss`).
 * @throws PacketDslError when the reach does not fit a 32-bit immediate or `miss` is malformed
 */
export function ensure(
  cursor: PacketCursor,
  at: PacketPosition,
  bytes: number,
  miss: Miss,
  what = 'bounds check miss',
): Fragment {
  checkMiss(miss, what);
  const reach = at.offset + bytes;
  if (!Number.isInteger(reach) || reach < 0 || reach > MAX_OFFSET)
    throw new PacketDslError(
      `bounds check reach ${reach} (offset ${at.offset} + ${bytes} bytes) is outside 0..${MAX_OFFSET}`,
    );
  if (reach === 0) return missIf(at.base, cursor.end, miss, what);
  return [
    mov(cursor.scratch, at.base),
    add(cursor.scratch, reach),
    missIf(cursor.scratch, cursor.end, miss, what),
  ];
}

/**
 * `into = at.base + at.offset + extra` (the pointer register form of a position), in as few
 * instructions as the operands allow.
 */
export function materialize(at: PacketPosition, into: Register, extra: Register | number = 0): Fragment {
  const out: Fragment[number][] = [];
  if (into !== at.base) out.push(mov(into, at.base));
  if (at.offset !== 0) out.push(add(into, at.offset));
  if (extra !== 0) out.push(add(into, extra));
  return out;
}

/**
 * Refuses output registers that are the cursor's own (a parser would overwrite them while
 * still using them); `what` names the parser.
 */
export function checkOutputs(
  c: PacketCursor,
  what: string,
  outputs: readonly (Register | undefined)[],
): void {
  const busy = [c.data, c.end, c.pos, c.scratch];
  for (const r of outputs) {
    if (r === undefined) continue;
    if (!isRegister(r)) throw new PacketDslError(`${what} output ${String(r)} is not a register`);
    if (busy.includes(r))
      throw new PacketDslError(`${what} output register ${r.name} is one of the cursor's registers`);
  }
}

/**
 * Steps `cursor.pos` over a header whose length is a 4-bit count of 32-bit words in the
 * byte at `field` (IPv4's IHL in the low nibble, TCP's data offset in the high one): a count
 * below 5 (shorter than the fixed header) goes to the parser's option `invalid`, or to its
 * `miss` when it has none (`parser` names them). The end is not bounds-checked here: the next
 * header's check covers it.
 */
export function skipWordCount(
  c: PacketCursor,
  at: PacketPosition,
  field: number,
  nibble: 'low' | 'high',
  o: { readonly invalid?: Miss; readonly miss: Miss },
  parser: string,
): Fragment {
  const s = c.scratch;
  const [invalid, what] =
    o.invalid === undefined ? [o.miss, `${parser} option miss`] : [o.invalid, `${parser} option invalid`];
  return [
    ldx('b', s, at.base, at.offset + field),
    nibble === 'low' ? and(s, 0x0f) : rsh(s, 4),
    missIf(s, 5, invalid, what, true),
    lsh(s, 2),
    materialize(at, c.pos, s),
  ];
}

/**
 * The checks every parser makes before emitting anything: its miss, its output registers,
 * and that its fixed header (`size` bytes at `at`) is within reach of a constant offset.
 */
export function checkParser(
  c: PacketCursor,
  what: string,
  at: PacketPosition,
  size: number,
  miss: Miss,
  outputs: readonly (Register | undefined)[],
): void {
  checkMiss(miss, `${what} option miss`);
  checkOutputs(c, what, outputs);
  checkOffset(at.offset + size, `${what} header`);
}

/** Checks an unrolling bound: an integer in 0..max; `what` names the option. */
export function checkCount(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new PacketDslError(`${what} ${value} is outside 0..${max}`);
  return value;
}
