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
 * @throws BtfError when the path does not fit the types
 */
export function fieldPath(
  btf: Btf,
  root: string | number,
  pathOrOptions?: string | FieldPathOptions,
  maybeOptions?: FieldPathOptions,
): FieldLocation {
  let rootId: number;
  let path: string;
  let options: FieldPathOptions;
  if (typeof root === 'string') {
    const m = /^\s*(?:(?:struct|union)\s+)?([A-Za-z_][A-Za-z0-9_]*)/.exec(root);
    if (!m) throw new BtfError(`field path '${root}' does not start with a type name`);
    const name = m[1]!;
    const id =
      btf.findIds(name, 'struct')[0] ?? btf.findIds(name, 'union')[0] ?? btf.findIds(name, 'typedef')[0];
    if (id === undefined) throw new BtfError(`no struct, union or typedef named '${name}'`);
    rootId = id;
    path = root.slice(m[0].length);
    options = (pathOrOptions as FieldPathOptions | undefined) ?? {};
  } else {
    rootId = root;
    path = (pathOrOptions as string | undefined) ?? '';
    options = maybeOptions ?? {};
  }
  try {
    return walkPath(btf, rootId, path, options);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    const named = typeof root === 'string' ? `'${root}'` : `'${path}' of type ${rootId}`;
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
