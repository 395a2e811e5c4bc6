import type { CollectionSpec } from '../src/index.js';

/** Bytes as a string: compared in one step, where arrays of numbers make deep equality crawl. */
export const hex = (b: Uint8Array | undefined): string =>
  b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '';

/** The programs of a spec as plain data to compare (instructions as hex). */
export function programSummaries(spec: CollectionSpec) {
  return [...spec.programs.values()].map((p) => ({
    name: p.name,
    section: p.section,
    sectionDef: p.sectionDef,
    instructions: hex(p.instructions),
    references: p.references,
    subprograms: p.subprograms,
    origins: p.origins,
  }));
}
