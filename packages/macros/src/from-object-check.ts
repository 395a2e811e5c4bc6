import {
  type AttachTargets,
  type CollectionOptions,
  type CollectionSpec,
  checkSectionAttach,
  NameNotFoundError,
  USDT_SPECS_MAP,
} from '@ts-ebpf/elf';
import type { AttachSpec } from './attach-spec.js';
import { checkAttach } from './define-program.js';
import { DefinitionError, ScriptError } from './errors.js';

/** What `attach` of `script.fromObject` gives a program. */
export type ObjectAttach = AttachSpec | 'section' | false;

const SUBJECT = 'script.fromObject';

/**
 * How program `name` is attached: its `attach` entry, or by its section (`autoAttach`) or not at
 * all (`false`) when it has none.
 */
export function attachOf(
  name: string,
  attach: Readonly<Record<string, ObjectAttach | undefined>>,
  autoAttach: boolean,
): ObjectAttach {
  const given = Object.hasOwn(attach, name) ? attach[name] : undefined;
  return given ?? (autoAttach ? 'section' : false);
}

/** The step of a {@link ScriptError} about attaching program `name` of `spec` by `how`. */
export function attachStepName(spec: CollectionSpec, name: string, how: AttachSpec | 'section'): string {
  return `attach program '${name}' (${how === 'section' ? `section ${spec.programs.get(name)!.section}` : how.kind})`;
}

/** The programs the load will load: named by `options.programs` (or all), autoload on. */
function loadedPrograms(spec: CollectionSpec, load: CollectionOptions): string[] {
  return [...spec.programs.keys()].filter(
    (p) => (!load.programs || load.programs.includes(p)) && spec.programs.get(p)!.autoload !== false,
  );
}

/**
 * Checks, before anything is made, what attaching each program the load will load by its section
 * needs: the check `Collection.attach` makes before it attaches ({@link checkSectionAttach} of
 * `@ts-ebpf/elf`: a section with an attach convention, the targets it needs given and of the
 * right kind …).
 * @throws ScriptError whose step names the first program that cannot be attached and whose
 * `cause` is elf's error (`AttachOptionsError`, `SectionAttachError` …)
 */
export function checkSectionTargets(
  spec: CollectionSpec,
  attach: Readonly<Record<string, ObjectAttach | undefined>>,
  autoAttach: boolean,
  targets: AttachTargets,
  load: CollectionOptions,
): void {
  for (const name of loadedPrograms(spec, load)) {
    if (attachOf(name, attach, autoAttach) !== 'section') continue;
    try {
      checkSectionAttach(spec, [name], targets);
    } catch (e) {
      throw new ScriptError(attachStepName(spec, name, 'section'), e);
    }
  }
}

/** A value as a message shows it: strings quoted. */
const shown = (value: unknown) => (typeof value === 'string' ? `'${value}'` : String(value));

/**
 * Checks every `attach` entry against the object as parsed, before anything is made: it names a
 * program the load will load, and its value is an attach spec (checked, its maps among the
 * object's), `'section'`, `false` or undefined (not given). A `usdt` spec needs the map of
 * libbpf's `usdt.bpf.h` the probe's argument specs are written to (libbpf's
 * `bpf_program__attach_usdt` refuses an object without it too).
 * @throws DefinitionError naming `attach.<program>`
 */
export function checkObjectAttach(
  spec: CollectionSpec,
  attach: Readonly<Record<string, unknown>>,
  load: CollectionOptions,
): void {
  const programs = [...spec.programs.keys()];
  const loaded = loadedPrograms(spec, load);
  const maps = [...spec.btfMapNames, ...spec.legacyMaps.keys()];
  for (const [name, value] of Object.entries(attach)) {
    const fail = (why: string, cause?: unknown): never => {
      throw new DefinitionError(SUBJECT, `attach.${name}`, why, cause === undefined ? undefined : { cause });
    };
    if (!spec.programs.has(name))
      fail(
        `names no program of the object (${programs.join(', ') || 'none'})`,
        new NameNotFoundError('program', name, programs, 'the object'),
      );
    if (!loaded.includes(name))
      fail(
        `names a program of the object, but ${spec.programs.get(name)!.autoload === false ? 'it is set not to autoload' : 'options.programs leaves it out'} (loaded: ${loaded.join(', ') || 'none'})`,
      );
    if (value === 'section' || value === false || value === undefined) continue;
    if (typeof value !== 'object' || value === null)
      fail(`is ${shown(value)}: expected an attach spec, 'section' or false`);
    checkAttach(`${SUBJECT} attach of program '${name}'`, value as AttachSpec, maps);
    if ((value as AttachSpec).kind === 'usdt' && !maps.includes(USDT_SPECS_MAP))
      fail(
        `is a usdt attach, which writes the probe's argument specs into map ${USDT_SPECS_MAP}, but the object has none: include <bpf/usdt.bpf.h> (bpf_usdt_arg() reads them there)`,
      );
  }
}
