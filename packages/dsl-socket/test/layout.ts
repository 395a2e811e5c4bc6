import { readFileSync } from 'node:fs';
import { Btf, type CompositeType } from '@ts-ebpf/btf';
import type { ContextField } from '@ts-ebpf/dsl';

let vmlinux: Btf | undefined;

function struct(name: string): CompositeType {
  vmlinux ??= Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
  return vmlinux.find(name, 'struct') as CompositeType;
}

/** The size of the kernel's `struct name`. */
export function btfSize(name: string): number {
  return struct(name).size;
}

/** Our offsets of `fields`, by name. */
export function ourOffsets(fields: Readonly<Record<string, ContextField>>): Record<string, number> {
  return Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.offset]));
}

/**
 * The kernel's offsets of the fields we name (`cb[2]` is member `cb` + 2 × 4; a field whose
 * member sits in an anonymous union, as `__bpf_md_ptr` makes them, keeps our offset when it lies inside
 * such a union).
 */
export function btfOffsets(
  name: string,
  fields: Readonly<Record<string, ContextField>>,
): Record<string, number> {
  const members = struct(name).members;
  const named = new Map(members.filter((m) => m.name).map((m) => [m.name, m.bitOffset / 8]));
  // Each anonymous member spans up to the next member (or the end of the struct).
  const ends = [...members.map((m) => m.bitOffset / 8), struct(name).size];
  const anonymous = members.flatMap((m, i) => (m.name ? [] : [[m.bitOffset / 8, ends[i + 1]!] as const]));
  const out: Record<string, number> = {};
  for (const [field, f] of Object.entries(fields)) {
    const [, base, index] = /^(\w+)(?:\[(\d)\])?$/.exec(field)!;
    const at = named.get(base!);
    if (at !== undefined) out[field] = at + Number(index ?? 0) * 4;
    else if (anonymous.some(([start, end]) => f.offset >= start && f.offset + f.size <= end))
      out[field] = f.offset;
  }
  return out;
}
