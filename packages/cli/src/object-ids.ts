/**
 * The record of every object one of the listing generators opens (`loadedPrograms`,
 * `loadedMaps`, `loadedLinks`), read while the loop holds it open: each object is closed once
 * its record is read, and ids freed during the walk are passed over by the generator.
 */
export function recordsOf<T, R>(objects: Iterable<T>, record: (object: T) => R): R[] {
  const out: R[] = [];
  for (const o of objects) out.push(record(o));
  return out;
}
