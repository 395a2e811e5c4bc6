import type { HelperName } from './types.js';

/**
 * The text of the helper functions generated modules share (module-private, emitted only when a
 * declaration uses them), so that a module imports nothing beyond the public `@ts-ebpf` packages.
 */
const HELPERS: Record<HelperName, string> = {
  checkStruct: `/** Refuses a struct value that is not an object, lacks a field or has one the struct does not. */
function checkStruct(v: unknown, p: string, keys: readonly string[]): void {
  if (typeof v !== 'object' || v === null) throw new CodecError(p, \`\${String(v)} is not an object\`);
  for (const k of keys)
    if ((v as Record<string, unknown>)[k] === undefined) throw new CodecError(\`\${p}.\${k}\`, 'missing field');
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new CodecError(\`\${p}.\${k}\`, 'unknown field');
}`,
  unionWrite: `/**
 * Writes a union value: a widest member set first, then checks that every other member set
 * agrees: it gives the same bytes over its own extent, or the bytes written read back as it
 * (a float NaN, whose bits a JavaScript number does not keep). When the first member's bytes
 * do not hold another's value, another widest member is tried first (a read union's float NaN
 * writes back through its integer view). So a value read from the union writes back.
 */
function unionWrite(
  d: DataView,
  o: number,
  size: number,
  v: unknown,
  p: string,
  extents: Readonly<Record<string, number>>,
  write: (k: string, d: DataView, o: number) => void,
  readBack: () => object,
): void {
  if (typeof v !== 'object' || v === null) throw new CodecError(p, \`\${String(v)} is not an object\`);
  const keys = Object.keys(extents);
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw new CodecError(\`\${p}.\${k}\`, 'unknown member');
  const value = v as Record<string, unknown>;
  const set = keys.filter((k) => value[k] !== undefined);
  if (set.length === 0) throw new CodecError(p, \`a union value sets one of \${keys.join(', ')}; got none\`);
  set.sort((a, b) => extents[b]! - extents[a]!);
  const region = new Uint8Array(d.buffer, d.byteOffset + o, size);
  const widest = set.filter((k) => extents[k] === extents[set[0]!]);
  let refusal: CodecError | undefined;
  for (const first of widest) {
    region.fill(0);
    write(first, d, o);
    let refused: CodecError | undefined;
    for (const k of set) {
      if (k === first) continue;
      const scratch = new Uint8Array(size);
      write(k, new DataView(scratch.buffer), 0);
      let same = true;
      for (let i = 0; i < extents[k]! && same; i++) same = scratch[i] === region[i];
      if (same || sameValue((readBack() as Record<string, unknown>)[k], value[k])) continue;
      let i = 0;
      while (scratch[i] === region[i]) i++;
      refused = new CodecError(
        \`\${p}.\${k}\`,
        \`disagrees with \${first} at byte \${i}: set one member, or members that agree\`,
      );
      break;
    }
    if (refused === undefined) return;
    refusal ??= refused;
  }
  // As the first (the widest declared first) saw it.
  throw refusal!;
}

/** Equal values, NaN equal to NaN, arrays, byte arrays and objects member by member. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b) || (typeof a === 'number' && a === b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}`,
  bits: `/** The \`span\` bytes at \`at\` as one unsigned integer in \`order\`. */
function loadSpan(d: DataView, at: number, span: number, order: ByteOrder): bigint {
  let all = 0n;
  for (let i = 0; i < span; i++)
    all = (all << 8n) | BigInt(d.getUint8(at + (order === 'little' ? span - 1 - i : i)));
  return all;
}

/** How far right a bitfield starting \`first\` bits into its span sits, in \`order\`. */
function bitShift(span: number, first: number, bits: number, order: ByteOrder): bigint {
  return BigInt(order === 'little' ? first : span * 8 - first - bits);
}

/** Reads a bitfield of \`bits\` bits starting \`first\` bits into the \`span\` bytes at \`at\`. */
function readBits(
  d: DataView,
  at: number,
  span: number,
  first: number,
  bits: number,
  signed: boolean,
  order: ByteOrder,
): bigint {
  const raw = BigInt.asUintN(bits, loadSpan(d, at, span, order) >> bitShift(span, first, bits, order));
  return signed ? BigInt.asIntN(bits, raw) : raw;
}

/** Writes a bitfield, leaving the other bits of its span as they are. */
function writeBits(
  d: DataView,
  at: number,
  span: number,
  first: number,
  bits: number,
  value: bigint,
  order: ByteOrder,
): void {
  const shift = bitShift(span, first, bits, order);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  const all = (loadSpan(d, at, span, order) & ~mask) | ((BigInt.asUintN(bits, value) << shift) & mask);
  for (let i = 0; i < span; i++)
    d.setUint8(at + (order === 'little' ? i : span - 1 - i), Number((all >> BigInt(8 * i)) & 0xffn));
}

/** Checks a bitfield's value (its JavaScript type and range) and gives it as a bigint. */
function bitValue(
  v: unknown,
  p: string,
  kind: 'number' | 'bigint' | 'boolean',
  bits: number,
  signed: boolean,
): bigint {
  if (typeof v !== kind || (kind === 'number' && !Number.isInteger(v)))
    throw new CodecError(p, \`\${String(v)} is not a\${kind === 'number' ? 'n integer' : \` \${kind}\`}\`);
  const n = typeof v === 'boolean' ? BigInt(Number(v)) : BigInt(v as number | bigint);
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (n < min || n > max)
    throw new CodecError(p, \`\${String(v)} does not fit a \${bits}-bit bitfield (\${min}..\${max})\`);
  return n;
}`,
};

/** The helper functions `names` need, in a fixed order. */
export function helperText(names: ReadonlySet<HelperName>): string[] {
  return (Object.keys(HELPERS) as HelperName[]).filter((n) => names.has(n)).map((n) => HELPERS[n]);
}
