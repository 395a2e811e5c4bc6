import { type BtfType, type CoreReloKindName, resolveType } from '@ts-ebpf/btf';
import { CoreError } from './errors.js';
import { isComposite } from './names.js';
import { type CoreSpec, formatSpec, isEnumvalBased, isTypeBased, sizeOrFail } from './spec.js';

/** What a relocation should change an instruction from and to (libbpf's `bpf_core_relo_res`). */
export interface CoreValues {
  /** The value the compiler put in the instruction (from the local BTF). */
  readonly orig: bigint;
  /** The value for the target. */
  readonly next: bigint;
  /** Why the instruction must be poisoned instead, when it must. */
  readonly poison: string | undefined;
  /** Whether the instruction must hold `orig` (off for bitfields and type ids). */
  readonly validate: boolean;
  /** Byte sizes of the field a load/store reads, locally and in the target (0 when not a load). */
  readonly origSize: number;
  readonly nextSize: number;
  /** The field's size changed in a way a load/store cannot follow (signed ints, different kinds). */
  readonly sizeMismatch: boolean;
}

interface FieldValue {
  value: bigint;
  /** Size of the field, for FIELD_BYTE_OFFSET on a plain (non-bitfield) field. */
  size: number;
  fieldType: BtfType | undefined;
  validate: boolean;
}

const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));

function fieldValue(kind: CoreReloKindName, spec: CoreSpec): FieldValue {
  const btf = spec.btf;
  const acc = spec.accessors.at(-1)!;
  if (acc.name === undefined) {
    // an array element (or the root object itself)
    const size = sizeOrFail(btf, acc.typeId);
    if (kind === 'field_byte_offset')
      return { value: u64(spec.bitOffset / 8), size, fieldType: btf.type(acc.typeId), validate: true };
    if (kind === 'field_byte_size')
      return { value: u64(size), size: 0, fieldType: undefined, validate: true };
    throw new CoreError(`${kind} cannot be applied to the array access ${formatSpec(spec)}`);
  }
  const parent = btf.type(acc.typeId);
  if (!isComposite(parent)) throw new CoreError(`type [${acc.typeId}] is not a struct or union`);
  const m = parent.members[acc.idx]!;
  const mt = resolveType(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    // the smallest power-of-two load, starting from the storage unit, that covers the bits
    byteSize = sizeOrFail(btf, mt.id);
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8)
        throw new CoreError(`bitfield ${formatSpec(spec)} cannot be read with one 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = sizeOrFail(btf, mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  // The compiler and we may choose different bitfield loads: check only what is never ambiguous.
  const plain = { size: 0, fieldType: undefined, validate: !bitfield };
  switch (kind) {
    case 'field_byte_offset':
      return {
        ...plain,
        value: u64(byteOff),
        size: bitfield ? 0 : byteSize,
        fieldType: bitfield ? undefined : mt,
      };
    case 'field_byte_size':
      return { ...plain, value: u64(byteSize) };
    case 'field_signed': {
      const signed =
        ((mt.kind === 'enum' || mt.kind === 'enum64') && mt.signed) || (mt.kind === 'int' && mt.signed);
      return { ...plain, value: signed ? 1n : 0n, validate: true };
    }
    case 'field_lshift_u64':
      return { ...plain, value: u64(64 - (bitOff + bitSize - byteOff * 8)) };
    case 'field_rshift_u64':
      return { ...plain, value: u64(64 - bitSize), validate: true };
    default:
      throw new CoreError(`${kind} is not a field relocation`);
  }
}

function typeValue(kind: CoreReloKindName, spec: CoreSpec | undefined): bigint {
  if (!spec) return 0n; // type relocations give 0 when the type is missing
  switch (kind) {
    case 'type_id_target':
    case 'type_id_local':
      return u64(spec.rootTypeId);
    case 'type_exists':
    case 'type_matches':
      return 1n;
    case 'type_size':
      return u64(sizeOrFail(spec.btf, spec.rootTypeId));
    default:
      throw new CoreError(`${kind} is not a type relocation`);
  }
}

function enumValue(kind: CoreReloKindName, spec: CoreSpec | undefined): bigint | undefined {
  if (kind === 'enumval_exists') return spec ? 1n : 0n;
  if (!spec) return undefined;
  const acc = spec.accessors[0]!;
  const t = spec.btf.type(acc.typeId);
  if (t.kind !== 'enum' && t.kind !== 'enum64') throw new CoreError(`type [${acc.typeId}] is not an enum`);
  return u64(t.values[acc.idx]!.value);
}

const NOT_FOUND = 'no matching target';

/**
 * Computes the local and target values of a relocation (libbpf's `bpf_core_calc_relo`).
 * `target` is undefined when no candidate matched: existence checks become 0,
 * type relocations 0, and everything else a request to poison the instruction.
 */
export function calcValues(local: CoreSpec, target: CoreSpec | undefined): CoreValues {
  const kind = local.kind;
  const base = { poison: undefined, origSize: 0, nextSize: 0, sizeMismatch: false };
  if (isTypeBased(kind)) {
    return {
      ...base,
      orig: typeValue(kind, local),
      next: typeValue(kind, target),
      // type ids may change when objects are linked, so they are not checked
      validate: kind !== 'type_id_target' && kind !== 'type_id_local',
    };
  }
  if (isEnumvalBased(kind)) {
    const orig = enumValue(kind, local)!;
    const next = enumValue(kind, target);
    return {
      ...base,
      orig,
      next: next ?? orig,
      poison: next === undefined ? NOT_FOUND : undefined,
      validate: true,
    };
  }
  if (kind === 'field_exists') return { ...base, orig: 1n, next: target ? 1n : 0n, validate: true };
  const l = fieldValue(kind, local);
  if (!target) return { ...base, orig: l.value, next: l.value, poison: NOT_FOUND, validate: l.validate };
  const t = fieldValue(kind, target);
  let sizeMismatch = false;
  if (l.size !== t.size) {
    // A load may change size only for pointers and unsigned ints, which zero-extend.
    const lt = l.fieldType;
    const tt = t.fieldType;
    const ptrs = lt?.kind === 'ptr' && tt?.kind === 'ptr';
    const unsigned = lt?.kind === 'int' && tt?.kind === 'int' && !lt.signed && !tt.signed;
    sizeMismatch = !ptrs && !unsigned;
  }
  return {
    ...base,
    orig: l.value,
    next: t.value,
    validate: l.validate,
    origSize: l.size,
    nextSize: t.size,
    sizeMismatch,
  };
}
