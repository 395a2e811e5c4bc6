import type { Btf } from './btf.js';
import { BtfError } from './errors.js';
import type { BtfMember, BtfType } from './kinds.js';
import { memberBits, resolveType, sizeOf } from './layout.js';

/** Options for {@link fieldPath}. */
export interface FieldPathOptions {
  /**
   * Follow pointers on `.` as well as on `->` (default false: `.` on a pointer
   * member is an error, so every dereference is stated with `->`).
   */
  readonly throughPointers?: boolean;
}

/** Where a field path leads. */
export interface FieldLocation {
  /** Type id of the field (as declared, typedefs not resolved). */
  readonly type: number;
  /** Byte offset of the field in the last object reached (after the last dereference). */
  readonly byteOffset: number;
  /** Bit offset of the field in that object. */
  readonly bitOffset: number;
  /** Bits of the field: the bitfield width, or `size * 8`. */
  readonly bitSize: number;
  /** True when the field is a bitfield. */
  readonly bitfield: boolean;
  /** Size in bytes of the field's type. */
  readonly size: number;
  /** True for a signed integer or enum. */
  readonly signed: boolean;
  /**
   * Byte offsets of each pointer loaded on the way, each relative to the object
   * that holds the pointer; empty when no pointer was followed.
   */
  readonly derefs: readonly number[];
}

type Step = { kind: 'field'; name: string; arrow: boolean } | { kind: 'index'; index: number };

function parsePath(path: string): Step[] {
  const steps: Step[] = [];
  const re = /\s*(?:(\.|->)\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(\d+)\s*\])/y;
  let pos = 0;
  while (pos < path.length) {
    re.lastIndex = pos;
    const m = re.exec(path);
    if (!m) throw new BtfError(`cannot parse field path '${path}' at character ${pos}`);
    if (m[3] !== undefined) steps.push({ kind: 'index', index: Number(m[3]) });
    else steps.push({ kind: 'field', name: m[2]!, arrow: m[1] === '->' });
    pos = re.lastIndex;
  }
  return steps;
}

/** Finds member `name`, looking into anonymous struct/union members as C does. */
function findMember(
  btf: Btf,
  id: number,
  name: string,
  depth = 0,
  misses = new Set<number>(),
): { member: BtfMember; bitOffset: number } | undefined {
  const t = resolveType(btf, id);
  if (t.kind !== 'struct' && t.kind !== 'union') return undefined;
  if (depth > 64) throw new BtfError(`type ${id} nests anonymous members in a cycle`);
  if (misses.has(t.id)) return undefined;
  for (const m of t.members) {
    if (m.name === name) return { member: m, bitOffset: m.bitOffset };
    if (m.name === '') {
      const inner = findMember(btf, m.type, name, depth + 1, misses);
      if (inner) return { member: inner.member, bitOffset: m.bitOffset + inner.bitOffset };
    }
  }
  misses.add(t.id);
  return undefined;
}

function describe(t: BtfType): string {
  return t.name ? `${t.kind} ${t.name}` : `anonymous ${t.kind}`;
}

/**
 * Walks a C-like field path to the location of the field it names.
 *
 * The path starts with a struct/union/typedef name or is given a root type id:
 * `fieldPath(btf, 'task_struct.real_parent->tgid')`, `fieldPath(btf, 'foo.bar[3].baz')`,
 * `fieldPath(btf, id, '.bar[3]')`. `->` follows a pointer; `.` follows one only with
 * `throughPointers`. Array indexes work on arrays (and on pointers when allowed).
 *
 * When several structs, unions or typedefs share the root name (vmlinux has a few), the path is
 * tried on each: the result is where it lands in those it fits, which must agree, or the error
 * names each type's id so the caller can pass the one meant.
 * @throws BtfError when the path does not fit the types, or lands differently in types of one name
 */
export function fieldPath(
  btf: Btf,
  root: string | number,
  pathOrOptions?: string | FieldPathOptions,
  maybeOptions?: FieldPathOptions,
): FieldLocation {
  if (typeof root === 'number') {
    const path = (pathOrOptions as string | undefined) ?? '';
    return walkNamed(btf, root, path, maybeOptions ?? {}, `'${path}' of type ${root}`);
  }
  const m = /^\s*(?:(?:struct|union)\s+)?([A-Za-z_][A-Za-z0-9_]*)/.exec(root);
  if (!m) throw new BtfError(`field path '${root}' does not start with a type name`);
  const name = m[1]!;
  const path = root.slice(m[0].length);
  const options = (pathOrOptions as FieldPathOptions | undefined) ?? {};
  const ids = [
    ...btf.findIds(name, 'struct'),
    ...btf.findIds(name, 'union'),
    ...btf.findIds(name, 'typedef'),
  ];
  if (ids.length === 0) throw new BtfError(`no struct, union or typedef named '${name}'`);
  if (ids.length === 1) return walkNamed(btf, ids[0]!, path, options, `'${root}'`);
  // several types share the name: the path must place the field alike in each one it fits
  const fits: { id: number; at: FieldLocation }[] = [];
  let firstError: unknown;
  for (const id of ids) {
    try {
      fits.push({ id, at: walkNamed(btf, id, path, options, `'${root}'`) });
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
      firstError ??= e;
    }
  }
  if (fits.length === 0) throw firstError;
  const where = (at: FieldLocation): string =>
    `byte ${at.byteOffset}${at.bitfield ? ` bit ${at.bitOffset % 8}, ${at.bitSize} bits` : ''}, ${at.size} bytes${
      at.derefs.length > 0 ? ` after pointers at ${at.derefs.join(', ')}` : ''
    }`;
  const first = where(fits[0]!.at);
  if (fits.every((f) => where(f.at) === first && f.at.signed === fits[0]!.at.signed)) return fits[0]!.at;
  const each = fits.map((f) => `${describe(btf.type(f.id))} (type ${f.id}): ${where(f.at)}`).join('; ');
  throw new BtfError(
    `field path '${root}': ${ids.length} types are called '${name}' and the path lands differently in them (${each}): give the type id instead of the name`,
  );
}

/** {@link walkPath}, its errors wrapped in one that names the path. */
function walkNamed(
  btf: Btf,
  rootId: number,
  path: string,
  options: FieldPathOptions,
  named: string,
): FieldLocation {
  try {
    return walkPath(btf, rootId, path, options);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    throw new BtfError(`field path ${named}: ${e.message}`, undefined, { cause: e });
  }
}

/** Follows the steps of `path` from `rootId`. */
function walkPath(btf: Btf, rootId: number, path: string, options: FieldPathOptions): FieldLocation {
  const steps = parsePath(path);
  let type = rootId;
  let bitOffset = 0;
  let bitfieldSize = 0;
  const derefs: number[] = [];
  const deref = (how: string): void => {
    const t = resolveType(btf, type);
    if (t.kind !== 'ptr') throw new BtfError(`cannot use ${how} on ${describe(t)}`);
    if (bitOffset % 8 !== 0) throw new BtfError('cannot dereference a bitfield');
    derefs.push(bitOffset / 8);
    type = t.type;
    bitOffset = 0;
  };
  for (const step of steps) {
    if (bitfieldSize !== 0) throw new BtfError('a bitfield has no fields or elements');
    let t = resolveType(btf, type);
    if (step.kind === 'index') {
      if (t.kind === 'ptr' && options.throughPointers) {
        deref('[]');
        bitOffset = step.index * sizeOf(btf, type) * 8;
        continue;
      }
      if (t.kind !== 'array') throw new BtfError(`cannot index ${describe(t)} with [${step.index}]`);
      if (step.index >= t.nelems && t.nelems !== 0) {
        throw new BtfError(`index ${step.index} is out of bounds for an array of ${t.nelems}`);
      }
      bitOffset += step.index * sizeOf(btf, t.type) * 8;
      type = t.type;
      continue;
    }
    if (step.arrow) deref('->');
    else if (t.kind === 'ptr') {
      if (!options.throughPointers) {
        throw new BtfError(
          `'.${step.name}' goes through a pointer: write '->${step.name}' or pass throughPointers`,
        );
      }
      deref('.');
    }
    t = resolveType(btf, type);
    if (t.kind !== 'struct' && t.kind !== 'union')
      throw new BtfError(`${describe(t)} has no field '${step.name}'`);
    const found = findMember(btf, type, step.name);
    if (!found) throw new BtfError(`${describe(t)} has no field '${step.name}'`);
    const bits = memberBits(btf, { ...found.member, bitOffset: found.bitOffset });
    bitOffset += bits.bitOffset;
    bitfieldSize = bits.bitfieldSize;
    type = found.member.type;
  }
  const resolved = resolveType(btf, type);
  const size = resolved.kind === 'void' || resolved.kind === 'func_proto' ? 0 : sizeOf(btf, type);
  const signed =
    (resolved.kind === 'int' || resolved.kind === 'enum' || resolved.kind === 'enum64') && resolved.signed;
  return {
    type,
    byteOffset: Math.floor(bitOffset / 8),
    bitOffset,
    bitSize: bitfieldSize || size * 8,
    bitfield: bitfieldSize !== 0,
    size,
    signed,
    derefs,
  };
}
