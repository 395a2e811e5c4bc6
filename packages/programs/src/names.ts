import { attachTypeName, linkTypeName, mapTypeName, progTypeName, UnknownNameError } from '@ts-ebpf/uapi';

/** `name(value)`, or `'<label> <value>'` for a number this build's kernel facts do not know. */
function orLabel(name: (value: number) => string, value: number, label: string): string {
  try {
    return name(value);
  } catch (e) {
    if (e instanceof UnknownNameError) return `${label} ${value}`;
    throw e;
  }
}

/** A program type's name for messages (`'XDP'`), or `'type <n>'` for a number this build does not know. */
export function progTypeLabel(type: number): string {
  return orLabel(progTypeName, type, 'type');
}

/** An attach type's name for messages (`'CGROUP_INET_INGRESS'`), or `'attach type <n>'`. */
export function attachTypeLabel(type: number): string {
  return orLabel(attachTypeName, type, 'attach type');
}

/** A link type's name for messages (`'XDP'`), or `'link type <n>'`. */
export function linkTypeLabel(type: number): string {
  return orLabel(linkTypeName, type, 'link type');
}

/** A map type's name for messages (`'SOCKMAP'`), or `'map type <n>'`. */
export function mapTypeLabel(type: number): string {
  return orLabel(mapTypeName, type, 'map type');
}
