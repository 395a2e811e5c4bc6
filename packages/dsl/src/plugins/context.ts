import { ldx, type SizeName, stx } from '../builders/memory.js';
import type { Instruction } from '../instruction.js';
import { R1, type Register } from '../registers.js';
import { ContextAccessError } from './errors.js';

/**
 * Who may access a context field: every section of the plugin (`true`), none (`false`), or
 * only the listed section names (e.g. `xdp_md.egress_ifindex` only in `xdp/devmap`).
 */
export type Access = boolean | readonly string[];

/**
 * What a context field holds, as the verifier types it after a load:
 * - `scalar`: a number;
 * - `packet`, `packet_end`, `packet_meta`: the start, end and metadata start of the packet
 *   (compare `packet + n` with `packet_end` before reading);
 * - `pointer`: a pointer to a kernel object of BTF type `btfType`, maybe null when `nullable`.
 */
export type FieldKind = 'scalar' | 'packet' | 'packet_end' | 'packet_meta' | 'pointer';

/** One field of a program's context structure. */
export interface ContextField {
  /** Byte offset in the context. */
  readonly offset: number;
  /** Size in bytes of the load or store (1, 2, 4 or 8). */
  readonly size: 1 | 2 | 4 | 8;
  /** What a load of it gives. */
  readonly kind: FieldKind;
  /** For `pointer` fields: the BTF type pointed to, e.g. `struct bpf_sock`. */
  readonly btfType?: string;
  /** For `pointer` fields: the pointer may be NULL and must be checked before use. */
  readonly nullable?: boolean;
  /** Sections whose programs may load it. */
  readonly read: Access;
  /** Sections whose programs may store to it. */
  readonly write: Access;
}

/** The context a program receives in R1: its C type, size and fields by name. */
export interface ContextLayout<Name extends string = string> {
  /** C type name, e.g. `struct xdp_md`. */
  readonly type: string;
  /** Size of the whole structure in bytes. */
  readonly size: number;
  /** Fields by name (array elements as `cb[0]` …). */
  readonly fields: Readonly<Record<Name, ContextField>>;
}

/** Options of a field made by {@link contextField}. */
export interface FieldOptions {
  /** Default `'scalar'`. */
  readonly kind?: FieldKind;
  /** Default `true`. */
  readonly read?: Access;
  /** Default `false`. */
  readonly write?: Access;
  /** For `pointer` fields. */
  readonly btfType?: string;
  /** For `pointer` fields. */
  readonly nullable?: boolean;
}

/** A frozen context field: readable everywhere and not writable unless `options` say otherwise. */
export function contextField(offset: number, size: 1 | 2 | 4 | 8, options: FieldOptions = {}): ContextField {
  return Object.freeze({
    offset,
    size,
    kind: options.kind ?? 'scalar',
    read: options.read ?? true,
    write: options.write ?? false,
    ...(options.btfType !== undefined && { btfType: options.btfType }),
    ...(options.nullable !== undefined && { nullable: options.nullable }),
  });
}

/** Whether `access` lets programs of `section` in (any section when undefined). */
export function allows(access: Access, section: string | undefined): boolean {
  if (typeof access === 'boolean') return access;
  return section === undefined ? access.length > 0 : access.includes(section);
}

const SIZE_NAMES: Record<number, SizeName> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

/** What {@link loadContextField} and {@link storeContextField} need to know about the program. */
export interface ContextSubject {
  /** The plugin's name, for messages. */
  readonly plugin: string;
  /** The context layout. */
  readonly context: ContextLayout;
  /** The section the program is built for; undefined checks against every section of the plugin. */
  readonly section?: string;
}

function field(subject: ContextSubject, name: string, op: 'read' | 'write'): ContextField {
  const { context, section, plugin } = subject;
  const f = Object.hasOwn(context.fields, name) ? context.fields[name] : undefined;
  if (!f) throw new ContextAccessError(name, `${context.type} has no field '${name}'`);
  if (!allows(f[op], section)) {
    const where = section === undefined ? `${plugin} programs` : `${plugin} programs of section '${section}'`;
    throw new ContextAccessError(name, `${where} may not ${op} ${context.type}.${name}`);
  }
  return f;
}

/** `dst = ctx->name`: a load of a readable context field with its declared size. */
export function loadContextField(
  subject: ContextSubject,
  name: string,
  dst: Register,
  ctx: Register = R1,
): Instruction {
  const f = field(subject, name, 'read');
  return ldx(SIZE_NAMES[f.size]!, dst, ctx, f.offset);
}

/** `ctx->name = src`: a store to a writable context field with its declared size. */
export function storeContextField(
  subject: ContextSubject,
  name: string,
  src: Register,
  ctx: Register = R1,
): Instruction {
  const f = field(subject, name, 'write');
  return stx(SIZE_NAMES[f.size]!, ctx, src, f.offset);
}
