import { type Btf, BtfError, membersOf, resolveType, sizeOf } from '@ts-ebpf/btf';
import type { ContextField, ContextLayout } from '@ts-ebpf/dsl';
import { IterTargetError } from './errors.js';

/**
 * The iterator targets the kernel registers (`bpf_iter_reg_target`), by the name a program
 * attaches to (`iter/<name>`). Which of them a kernel offers is in its BTF (see
 * {@link iterContext}) and, for certain, in `probeIterTargets()` of `@ts-ebpf/dsl-iter/kernel`.
 */
export const ITER_TARGETS = Object.freeze([
  'task',
  'task_file',
  'task_vma',
  'bpf_map',
  'bpf_map_elem',
  'bpf_prog',
  'bpf_link',
  'tcp',
  'udp',
  'unix',
  'netlink',
  'ipv6_route',
  'cgroup',
  'ksym',
  'bpf_sk_storage_map',
  'sockmap',
  'kmem_cache',
  'dmabuf',
] as const);

/** An iterator target's name. */
export type IterTarget = (typeof ITER_TARGETS)[number];

/**
 * Targets that walk the elements of a map given when the link is made (`{ map }` in
 * `iterLinkInfo`): their context has `key` and `value` buffers.
 */
export const MAP_ELEMENT_TARGETS: readonly IterTarget[] = Object.freeze([
  'bpf_map_elem',
  'bpf_sk_storage_map',
  'sockmap',
]);

/** A field of an iterator's context: a {@link ContextField} with its BTF type. */
export interface IterField extends ContextField {
  /** The member's name. */
  readonly name: string;
  /** For pointers: the BTF id of the type pointed to (0 for `void *`); for scalars, the member's type id. */
  readonly typeId: number;
}

/** The context of an iterator program (`struct bpf_iter__<target>`), read from kernel BTF. */
export interface IterContext extends ContextLayout {
  /** The target, e.g. `task`. */
  readonly target: string;
  /** The fields by name (`meta`, `task` …). */
  readonly fields: Readonly<Record<string, IterField>>;
}

function isTarget(name: string): name is IterTarget {
  return (ITER_TARGETS as readonly string[]).includes(name);
}

/** `name` as an iterator target, or an {@link IterTargetError} listing the known ones. */
export function checkTargetName(name: string): IterTarget {
  if (isTarget(name)) return name;
  throw new IterTargetError(name, `not an iterator target (known: ${ITER_TARGETS.join(', ')})`);
}

function pointeeName(btf: Btf, id: number): string {
  if (id === 0) return 'void';
  const t = resolveType(btf, id);
  return t.name ? `${t.kind === 'struct' || t.kind === 'union' ? `${t.kind} ` : ''}${t.name}` : t.kind;
}

/**
 * The context of iterator `target` as this kernel's BTF describes it: the members of
 * `struct bpf_iter__<target>` (each argument of `bpf_iter_<target>()`), 8-byte aligned.
 * `meta` (a pointer to `struct bpf_iter_meta`) and the `map` of a map-element target are never
 * NULL; every other pointer is registered by the kernel as maybe-NULL (`PTR_TO_BTF_ID_OR_NULL`,
 * or a maybe-NULL buffer for map keys and values): the last call of an iteration passes NULL,
 * so a program must check it before loading through it. Scalars (`fd`, `uid`, `bucket` …) are read with their size.
 * @throws IterTargetError for a name that is not a target, or a target this kernel's BTF lacks
 */
export function iterContext(btf: Btf, target: string): IterContext {
  checkTargetName(target);
  const structName = `bpf_iter__${target}`;
  if (btf.findIds(`bpf_iter_${target}`, 'func').length === 0)
    throw new IterTargetError(
      target,
      `this kernel's BTF has no function bpf_iter_${target}: the iterator is not built into this kernel (or belongs to a module whose BTF was not given)`,
    );
  const id = btf.findIds(structName, 'struct')[0];
  if (id === undefined)
    throw new IterTargetError(target, `this kernel's BTF has no struct ${structName} (its context type)`);
  const fields: Record<string, IterField> = {};
  try {
    for (const m of contextMembers(btf, id)) {
      const t = resolveType(btf, m.type);
      if (m.byteOffset % 8 !== 0)
        throw new IterTargetError(target, `${structName}.${m.name} is not 8-byte aligned`);
      if (t.kind === 'ptr') {
        fields[m.name] = Object.freeze({
          name: m.name,
          offset: m.byteOffset,
          size: 8,
          kind: 'pointer',
          btfType: pointeeName(btf, t.type),
          nullable: isNullable(target, m.name),
          typeId: t.type,
          read: true,
          write: false,
        });
        continue;
      }
      const size = sizeOf(btf, m.type);
      if (size !== 1 && size !== 2 && size !== 4 && size !== 8)
        throw new IterTargetError(target, `${structName}.${m.name} has size ${size}, not 1, 2, 4 or 8`);
      fields[m.name] = Object.freeze({
        name: m.name,
        offset: m.byteOffset,
        size,
        kind: 'scalar',
        typeId: m.type,
        read: true,
        write: false,
      });
    }
  } catch (e) {
    if (e instanceof BtfError)
      throw new IterTargetError(target, `reading ${structName}: ${e.message}`, { cause: e });
    throw e;
  }
  if (!fields.meta) throw new IterTargetError(target, `${structName} has no meta member`);
  return Object.freeze({
    type: `struct ${structName}`,
    size: sizeOf(btf, id),
    target,
    fields: Object.freeze(fields),
  });
}

/**
 * Whether the kernel gives context member `name` of `target` as maybe-NULL: every pointer its
 * registration lists in `ctx_arg_info` (`PTR_TO_BTF_ID_OR_NULL`, or a buffer with
 * `PTR_MAYBE_NULL`) is, the others are plain trusted pointers: `meta`, and the `map` of the
 * map-element targets (the kernel's map_iter.c, bpf_sk_storage.c and sock_map.c set it to the
 * iterated map on every call, the last one too).
 */
function isNullable(target: string, name: string): boolean {
  if (name === 'meta') return false;
  return !(name === 'map' && MAP_ELEMENT_TARGETS.includes(target as IterTarget));
}

/**
 * The named members of a context struct: pointers are declared with `__bpf_md_ptr`, an
 * anonymous union of the pointer and a 64-bit padding, so anonymous members are looked into.
 */
function contextMembers(btf: Btf, id: number): { name: string; type: number; byteOffset: number }[] {
  const out: { name: string; type: number; byteOffset: number }[] = [];
  for (const m of membersOf(btf, id)) {
    if (m.name !== '') {
      out.push(m);
      continue;
    }
    const t = resolveType(btf, m.type);
    if (t.kind !== 'struct' && t.kind !== 'union') continue; // padding (`__u64 :64`)
    for (const inner of contextMembers(btf, t.id))
      if (!out.some((o) => o.byteOffset === m.byteOffset + inner.byteOffset && t.kind === 'union'))
        out.push({ ...inner, byteOffset: m.byteOffset + inner.byteOffset });
  }
  return out;
}

/** The targets of {@link ITER_TARGETS} this kernel's BTF describes (built in), by name. */
export function btfIterTargets(btf: Btf): IterTarget[] {
  return ITER_TARGETS.filter((t) => btf.findIds(`bpf_iter_${t}`, 'func').length > 0);
}
