import { ATTACH_KINDS, AttachError, type AttachKind, requireAttachKind } from '@ts-ebpf/programs';
import type { ProgramSpec } from './collection-spec.js';
import { SectionAttachError } from './errors.js';

/**
 * Refuses a program whose type or expected attach type (changed with `setType`,
 * `setExpectedAttachType`) the attach function of its section does not take, before it is loaded.
 * @throws SectionAttachError naming the program, its section, the function and the types
 */
export function requireSectionKind(spec: ProgramSpec, kind: AttachKind): void {
  const { progType: type, expectedAttachType } = spec.sectionDef;
  const target = `${ATTACH_KINDS[kind].attachFunction}`;
  try {
    requireAttachKind(kind, { name: spec.name, type, expectedAttachType }, target);
  } catch (e) {
    if (!(e instanceof AttachError)) throw e;
    throw new SectionAttachError(
      spec.name,
      spec.section,
      `the section attaches with ${target}, which cannot attach it as loaded: ${e.message.slice(`cannot attach to ${target}: `.length)}`,
    );
  }
}
