import { type CollectionOptions, type CollectionSpec, NameNotFoundError, USDT_SPECS_MAP } from '@ts-ebpf/elf';
import type { AttachSpec } from './attach-spec.js';
import { checkAttach } from './define-program.js';
import { DefinitionError } from './errors.js';

/** What `attach` of `script.fromObject` gives a program. */
export type ObjectAttach = AttachSpec | 'section' | false;

const SUBJECT = 'script.fromObject';

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
  const loaded = programs.filter(
    (p) => (!load.programs || load.programs.includes(p)) && spec.programs.get(p)!.autoload !== false,
  );
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
