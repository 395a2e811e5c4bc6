import { type Btf, type BtfType, resolveType } from '@ts-ebpf/btf';
import { CoreError } from './errors.js';
import { essentialName, isComposite, isEnumKind, kindsCompatible } from './names.js';

/** How deep type comparisons recurse before giving up, as in libbpf. */
const MAX_DEPTH = 32;

function tooDeep(local: number, target: number): never {
  throw new CoreError(`types [${local}] and [${target}] nest too deeply to compare`);
}

/** An int with a non-zero bit offset: an old-style bitfield encoding CO-RE rejects. */
function intOffset(t: BtfType): number {
  return t.kind === 'int' ? t.bitOffset : 0;
}

/**
 * Whether a local member's type may stand for the target member's type
 * (libbpf's `bpf_core_fields_are_compat`): any two structs/unions; pointers with
 * pointers; ints with ints; floats with floats; enums and forward declarations
 * with the same essential name (or an anonymous one); arrays by element type.
 */
export function fieldsCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = resolveType(local, localId);
    const t = resolveType(target, targetId);
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindsCompatible(l.kind, t.kind)) return false;
    switch (l.kind) {
      case 'ptr':
      case 'float':
        return true;
      case 'fwd':
      case 'enum':
      case 'enum64': {
        const ln = essentialName(l.name);
        const tn = essentialName(t.name);
        return ln === '' || tn === '' || ln === tn;
      }
      case 'int':
        return intOffset(l) === 0 && intOffset(t) === 0;
      case 'array':
        localId = l.type;
        targetId = (t as { type: number }).type;
        break;
      default:
        return false;
    }
  }
  return tooDeep(localId, targetId);
}

/**
 * Whether two types are compatible for type relocations (libbpf's
 * `bpf_core_types_are_compat`); their names were already matched. Ints must not be
 * old-style bitfields, pointers and arrays compare what they point to, function
 * prototypes compare parameters and return type; structs, unions, enums and
 * forward declarations are compatible by kind alone.
 */
export function typesCompatible(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  level = MAX_DEPTH,
): boolean {
  if (!kindsCompatible(local.kindOf(localId), target.kindOf(targetId))) return false;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = resolveType(local, localId);
    const t = resolveType(target, targetId);
    if (!kindsCompatible(l.kind, t.kind)) return false;
    switch (l.kind) {
      case 'void':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'fwd':
        return true;
      case 'int':
        return intOffset(l) === 0 && intOffset(t) === 0;
      case 'ptr':
      case 'array':
        localId = l.type;
        targetId = (t as { type: number }).type;
        break;
      case 'func_proto': {
        const tp = t as typeof l;
        if (l.params.length !== tp.params.length) return false;
        if (l.params.length > 0 && level <= 0) tooDeep(localId, targetId);
        for (let i = 0; i < l.params.length; i++) {
          const lp = resolveType(local, l.params[i]!.type).id;
          const tpp = resolveType(target, tp.params[i]!.type).id;
          if (!typesCompatible(local, lp, target, tpp, level - 1)) return false;
        }
        localId = l.returnType;
        targetId = tp.returnType;
        break;
      }
      default:
        return false;
    }
  }
  return tooDeep(localId, targetId);
}

/** Names match when both are anonymous, or their essential names are equal. */
function namesMatch(local: string, target: string): boolean {
  if (target === '') return local === '';
  return essentialName(local) === essentialName(target);
}

/**
 * The stricter relation of `bpf_core_type_matches()` (libbpf's `bpf_core_types_match`):
 * names match at every level; ints agree in size and signedness; enums in size with
 * every local enumerator named in the target; structs and unions have every local
 * member (by name) with a matching type, except behind a pointer where the kind is
 * enough; arrays agree in length; function prototypes in every parameter.
 */
export function typesMatch(
  local: Btf,
  localId: number,
  target: Btf,
  targetId: number,
  behindPtr = false,
  level = MAX_DEPTH,
): boolean {
  if (level <= 0) tooDeep(localId, targetId);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = resolveType(local, localId);
    const t = resolveType(target, targetId);
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case 'void':
        return t.kind === 'void';
      case 'fwd':
        if (t.kind === 'fwd') return l.fwdKind === t.fwdKind;
        return behindPtr && t.kind === l.fwdKind;
      case 'enum':
      case 'enum64': {
        if (!isEnumKind(t.kind)) return false;
        const te = t as typeof l;
        if (l.size !== te.size || l.values.length > te.values.length) return false;
        return l.values.every((lv) => te.values.some((tv) => namesMatch(lv.name, tv.name)));
      }
      case 'struct':
      case 'union':
        if (behindPtr) return t.kind === l.kind || (t.kind === 'fwd' && t.fwdKind === l.kind);
        if (t.kind !== l.kind) return false;
        return compositesMatch(local, l, target, t, behindPtr, level);
      case 'int':
        return t.kind === 'int' && l.size === t.size && l.signed === t.signed;
      case 'ptr':
        if (t.kind !== 'ptr') return false;
        behindPtr = true;
        localId = l.type;
        targetId = t.type;
        break;
      case 'array':
        if (t.kind !== 'array' || l.nelems !== t.nelems) return false;
        localId = l.type;
        targetId = t.type;
        break;
      case 'func_proto': {
        if (t.kind !== 'func_proto' || l.params.length !== t.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (!typesMatch(local, l.params[i]!.type, target, t.params[i]!.type, behindPtr, level - 1))
            return false;
        }
        localId = l.returnType;
        targetId = t.returnType;
        break;
      }
      default:
        return false;
    }
  }
  return tooDeep(localId, targetId);
}

function compositesMatch(
  local: Btf,
  l: Extract<BtfType, { kind: 'struct' | 'union' }>,
  target: Btf,
  t: Extract<BtfType, { kind: 'struct' | 'union' }>,
  behindPtr: boolean,
  level: number,
): boolean {
  if (l.members.length > t.members.length) return false;
  return l.members.every((lm) =>
    t.members.some(
      (tm) =>
        namesMatch(lm.name, tm.name) && typesMatch(local, lm.type, target, tm.type, behindPtr, level - 1),
    ),
  );
}
