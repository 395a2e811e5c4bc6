import { AmbiguousObjectError, NoMatchingObjectError } from './errors.js';

/**
 * A reference by `name NAME` (programs, maps) or `tag TAG` (programs), which may match several
 * objects, as bpftool's: names are compared whole (the kernel keeps at most 15 characters), tags
 * as 16 lower-case hex digits.
 */
export type MatchRef = { readonly name: string } | { readonly tag: string };

/** What a match is decided on: an object's id, name and (programs) tag. */
export interface MatchFields {
  readonly id: number;
  readonly name: string;
  readonly tag?: string;
}

/** The reference as the command line gave it: `name 'xdp_fw'`, `tag cb72398717d03cb1`. */
export function matchText(ref: MatchRef): string {
  return 'name' in ref ? `name '${ref.name}'` : `tag ${ref.tag}`;
}

function matches(ref: MatchRef, o: MatchFields): boolean {
  return 'name' in ref ? o.name === ref.name : o.tag === ref.tag;
}

function noMatch(kind: string, ref: MatchRef): NoMatchingObjectError {
  return 'name' in ref
    ? new NoMatchingObjectError(kind, 'name', ref.name)
    : new NoMatchingObjectError(kind, 'tag', ref.tag);
}

/**
 * The record of every object of `objects` that `ref` matches, in id order, read while the walk
 * holds the object open (each is closed by the walk when the loop moves on).
 * @param kind - `'program'` or `'map'`, for the error
 * @param objects - a walk of every object of the kind (`loadedPrograms()`, `loadedMaps()`)
 * @param fields - an object's id, name and tag
 * @param record - the record printed of a match (given the fields read)
 * @throws NoMatchingObjectError when nothing matches
 */
export function matchingRecords<T, R>(
  kind: string,
  objects: Iterable<T>,
  ref: MatchRef,
  fields: (object: T) => MatchFields,
  record: (object: T, fields: MatchFields) => R,
): R[] {
  const out: R[] = [];
  for (const o of objects) {
    const f = fields(o);
    if (matches(ref, f)) out.push(record(o, f));
  }
  if (out.length === 0) throw noMatch(kind, ref);
  return out;
}

/**
 * The id of the one object `ref` matches, for commands that work on one object.
 * @throws NoMatchingObjectError when nothing matches, AmbiguousObjectError (listing the ids)
 *   when several do
 */
export function onlyMatch<T>(
  kind: string,
  objects: Iterable<T>,
  ref: MatchRef,
  fields: (object: T) => MatchFields,
): number {
  const ids = matchingRecords(kind, objects, ref, fields, (_, f) => f.id);
  if (ids.length > 1) {
    if ('name' in ref) throw new AmbiguousObjectError(kind, 'name', ref.name, ids);
    throw new AmbiguousObjectError(kind, 'tag', ref.tag, ids);
  }
  return ids[0]!;
}

/**
 * The JSON `show` prints of the matches of a name or tag, as bpftool prints it: the record
 * alone when one object matches, an array of the records when several do.
 */
export function matchesJson<R>(records: readonly R[]): R | readonly R[] {
  return records.length === 1 ? records[0]! : records;
}
