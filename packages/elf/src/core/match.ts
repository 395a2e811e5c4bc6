import { type Btf, resolveType } from '@ts-ebpf/btf';
import { fieldsCompatible, typesCompatible, typesMatch } from './compat.js';
import { essentialName, isComposite } from './names.js';
import {
  type CoreAccessor,
  type CoreSpec,
  isEnumvalBased,
  isFlexArray,
  isTypeBased,
  sizeOrFail,
} from './spec.js';

/** Longest access path libbpf follows (`BPF_CORE_SPEC_MAX_LEN`). */
const MAX_SPEC_LEN = 64;

/**
 * Finds the local spec's field, enumerator or type in one target candidate
 * (libbpf's `bpf_core_spec_match`): the target spec, or undefined when the
 * candidate does not have it.
 */
export function matchSpec(local: CoreSpec, target: Btf, targetRootId: number): CoreSpec | undefined {
  const spec: CoreSpec = {
    btf: target,
    rootTypeId: targetRootId,
    kind: local.kind,
    accessors: [],
    raw: [],
    bitOffset: 0,
  };
  if (isTypeBased(local.kind)) {
    const ok =
      local.kind === 'type_matches'
        ? typesMatch(local.btf, local.rootTypeId, target, targetRootId)
        : typesCompatible(local.btf, local.rootTypeId, target, targetRootId);
    return ok ? spec : undefined;
  }
  if (isEnumvalBased(local.kind)) {
    const t = resolveType(target, targetRootId);
    if (t.kind !== 'enum' && t.kind !== 'enum64') return undefined;
    const want = essentialName(local.accessors[0]!.name!);
    const idx = t.values.findIndex((v) => essentialName(v.name) === want);
    if (idx < 0) return undefined;
    spec.accessors.push({ typeId: t.id, idx, name: t.values[idx]!.name });
    spec.raw.push(idx);
    return spec;
  }
  let id = targetRootId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i]!;
    const t = resolveType(target, id);
    id = t.id;
    if (acc.name !== undefined) {
      const next = matchMember(local, acc, target, id, spec);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    // The root is already "an array of the struct"; later indexes need a real array.
    if (i > 0) {
      if (t.kind !== 'array') return undefined;
      if (!isFlexArray(target, spec.accessors.at(-1), t) && acc.idx >= t.nelems) return undefined;
      id = resolveType(target, t.type).id;
    }
    if (spec.raw.length >= MAX_SPEC_LEN) return undefined;
    spec.accessors.push({ typeId: id, idx: acc.idx });
    spec.raw.push(acc.idx);
    spec.bitOffset += acc.idx * sizeOrFail(target, id) * 8;
  }
  return spec;
}

/**
 * Looks for the local accessor's member by name in target type `id`, descending
 * into anonymous structs and unions; on success pushes the accessor onto `spec`
 * and returns the member's type id. The member's type must be compatible.
 */
function matchMember(
  local: CoreSpec,
  acc: CoreAccessor,
  target: Btf,
  id: number,
  spec: CoreSpec,
): number | undefined {
  const t = resolveType(target, id);
  if (!isComposite(t)) return undefined;
  const localMember = (local.btf.type(acc.typeId) as typeof t).members[acc.idx]!;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    if (spec.raw.length >= MAX_SPEC_LEN) return undefined;
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const found = matchMember(local, acc, target, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === localMember.name) {
      if (!fieldsCompatible(local.btf, localMember.type, target, m.type)) {
        spec.bitOffset -= m.bitOffset;
        spec.raw.pop();
        return undefined;
      }
      spec.accessors.push({ typeId: t.id, idx: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}
