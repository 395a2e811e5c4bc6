import { BpfMap, loadedMaps } from '@ts-ebpf/maps';
import { Link, loadedPrograms, Program } from '@ts-ebpf/programs';
import {
  close,
  describeFdTarget,
  fdTarget,
  isObjectName,
  linkGetFdById,
  NotFoundError,
  objGet,
} from '@ts-ebpf/syscall';
import type { Args } from './args.js';
import { ObjectNotFoundError, WrongObjectKindError } from './errors.js';
import { type MatchFields, type MatchRef, onlyMatch } from './object-match.js';

/**
 * How the command line names a kernel object: by id, by its pin on bpffs, or (programs, maps)
 * by name or (programs) tag, which may match several objects.
 */
export type ObjectRef = PlainRef | MatchRef;

/** A reference to exactly one object: by id or by pin. */
export type PlainRef = { readonly id: number } | { readonly pinned: string };

/** The forms of reference a kind of object takes besides id and pin. */
export type Selector = 'name' | 'tag';

/** The argument forms naming an object of a kind taking `selectors`, for help texts. */
export function refForms(selectors: readonly Selector[] = []): string {
  return ['id ID', 'pinned PATH', ...selectors.map((s) => `${s} ${s.toUpperCase()}`), 'ID', 'PATH'].join(
    ' | ',
  );
}

/** The forms naming a link (id or pin). */
export const REF_FORMS = refForms();
/** The forms naming a program: as {@link REF_FORMS}, or by name or tag, as bpftool. */
export const PROG_FORMS = refForms(['name', 'tag']);
/** The forms naming a map: as {@link REF_FORMS}, or by name, as bpftool. */
export const MAP_FORMS = refForms(['name']);

/** A program tag: the 8 bytes of its instructions' hash, as 16 hex digits. */
const TAG = /^[0-9a-fA-F]{16}$/;

/**
 * Reads an object reference: `id ID`, `pinned PATH`, a bare id or absolute path, and the
 * `selectors` the kind takes (`name NAME`, `tag TAG`). A name that cannot be a kernel object's
 * (over 15 characters, or other than A-Z a-z 0-9 _ .) and a tag that is not 16 hex digits are
 * refused here, before the kernel is asked.
 * @param what - the object kind, for errors (`'map'`)
 * @throws UsageError for anything else
 */
export function readRef(args: Args, what: string): PlainRef;
export function readRef(args: Args, what: string, selectors: readonly Selector[]): ObjectRef;
export function readRef(args: Args, what: string, selectors: readonly Selector[] = []): ObjectRef {
  const forms = refForms(selectors);
  if (args.take('id')) return { id: args.id(`the ${what} id`) };
  if (args.take('pinned')) return { pinned: args.next(`the path of the pinned ${what}`) };
  if (selectors.includes('name') && args.take('name')) return { name: readName(args, what) };
  if (selectors.includes('tag') && args.take('tag')) {
    const tag = args.next(`the ${what} tag`);
    if (!TAG.test(tag))
      throw args.error(`the ${what} tag must be 16 hex digits (as prog show prints it), got '${tag}'`);
    return { tag: tag.toLowerCase() };
  }
  const a = args.peek();
  if (a === undefined) throw args.error(`missing the ${what} (${forms})`);
  args.refuseOption(a);
  if (a.startsWith('/')) return { pinned: args.next(what) };
  if (/^[0-9]+$/.test(a)) return { id: args.id(`the ${what} id`) };
  throw args.error(`'${a}' names no ${what}: give ${forms}`);
}

/** Reads `NAME` of `name NAME`, refusing one no kernel object can have. */
function readName(args: Args, what: string): string {
  const name = args.next(`the ${what} name`);
  if (isObjectName(name)) return name;
  if (name.length > 15)
    throw args.error(
      `'${name}' is ${name.length} characters long, so it names no ${what}: the kernel keeps names of at most 15 (BPF_OBJ_NAME_LEN - 1), and loaders cut longer ones to their first 15 (try 'name ${name.slice(0, 15)}')`,
    );
  throw args.error(`'${name}' names no ${what}: kernel object names are of A-Z a-z 0-9 _ . only`);
}

/** Opens `open(id)`, turning the kernel's ENOENT into an {@link ObjectNotFoundError}. */
export function byId<T>(kind: string, id: number, open: (id: number) => T): T {
  try {
    return open(id);
  } catch (e) {
    if (e instanceof NotFoundError) throw new ObjectNotFoundError(kind, id, e);
    throw e;
  }
}

/** A program's id, name and tag, to match `name NAME` and `tag TAG` on. */
export function progFields(p: Program): MatchFields {
  const { id, name, tag } = p.info();
  return { id, name, tag };
}

/** A map's id and name, to match `name NAME` on. */
export function mapFields(m: BpfMap<unknown, unknown>): MatchFields {
  const { id, name } = m.info();
  return { id, name };
}

/**
 * Opens the program a reference names; by name or tag, the one program that matches.
 * @throws NoMatchingObjectError, AmbiguousObjectError (listing the ids) for a name or tag
 */
export function openProgram(ref: ObjectRef): Program {
  if ('pinned' in ref) return Program.fromPin(ref.pinned);
  const id = 'id' in ref ? ref.id : onlyMatch('program', loadedPrograms(), ref, progFields);
  return byId('program', id, Program.fromId);
}

/**
 * Opens the map a reference names, with raw bytes for keys and values; by name, the one map
 * that matches.
 * @throws NoMatchingObjectError, AmbiguousObjectError (listing the ids) for a name
 */
export function openMap(ref: ObjectRef): BpfMap<Uint8Array, Uint8Array | Uint8Array[]> {
  if ('pinned' in ref) return BpfMap.fromPin(ref.pinned);
  return BpfMap.fromId('id' in ref ? ref.id : onlyMatch('map', loadedMaps(), ref, mapFields));
}

/** Opens the bpf_link a reference names. */
export function openLink(ref: PlainRef): Link {
  if ('id' in ref) return new Link({ kind: 'link', fd: byId('link', ref.id, linkGetFdById) });
  const fd = objGet(ref.pinned);
  const target = fdTarget(fd) ?? 'unknown';
  // Kernels name the inode `bpf_link` or (6.x) `bpf-link`.
  if (target !== 'anon_inode:bpf_link' && target !== 'anon_inode:bpf-link') {
    close(fd);
    throw new WrongObjectKindError(`the object pinned at '${ref.pinned}'`, 'link', describeFdTarget(target));
  }
  return new Link({ kind: 'pinned', fd });
}
