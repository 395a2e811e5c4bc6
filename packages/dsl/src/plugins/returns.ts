/**
 * The return codes a section takes: fragments record the codes their options and templates
 * choose (`returnCode`, `choosingReturn`), and one check, made where the section is known
 * (`PluginSection.ret`, `.build`, `checkPluginProgram`), refuses a code the section does not
 * return, with what the kernel does with it there.
 * @module
 */
import { mov } from '../builders/alu.js';
import { exit, jeq } from '../builders/jump.js';
import { type ChosenReturn, type Instruction, makeInstruction } from '../instruction.js';
import { type Fragment, mark } from '../labels.js';
import { R0 } from '../registers.js';
import { ReturnCodeError } from './errors.js';
import { labelScope } from './fresh-labels.js';
import type { DslPlugin, ReturnCodes } from './plugin.js';

/** What the return checks read of a plugin. */
type PluginReturns = Pick<DslPlugin, 'name' | 'returnCodes' | 'sectionReturns'>;

/**
 * `insn` recording that it makes the program return `code`, chosen by `by` (the option or
 * template: `onFailure of xdp_adjust_head`, `template macSwapTx`). A plugin's fragment marks
 * this way each code an option or template of its chooses, so that the program's section,
 * known once it is built, refuses a code it does not return, as `ret()` does for a name.
 */
export function choosingReturn(insn: Instruction, code: number, by: string): Instruction {
  return makeInstruction({ ...insn, returns: { code, by } });
}

/** `r0 = code; exit`, recording `code` as chosen by `by` ({@link choosingReturn}). */
export function returnCode(code: number, by: string): Fragment {
  return [choosingReturn(mov(R0, code), code, by), exit()];
}

/**
 * After a helper that returns 0 on success: returns `code` from the program when R0 is not 0
 * (`if r0 == 0 goto ok; r0 = code; exit; ok:`, with a fresh label), recording it as chosen by
 * `by` (an `onFailure` option, say) for the section's check.
 */
export function returnIfNonZero(code: number, by: string): Fragment {
  const ok = labelScope()('ok');
  return [jeq(R0, 0, ok), returnCode(code, by), mark(ok)];
}

/** The named return codes of `section`: its own (`sectionReturns`), else the plugin's. */
export function sectionCodes(plugin: PluginReturns, section: string): ReturnCodes {
  return plugin.sectionReturns?.[section]?.codes ?? plugin.returnCodes;
}

/** The error for `code` (shown as `shown`), which `section` does not return. */
function refusal(
  plugin: PluginReturns,
  section: string,
  code: string,
  shown: string,
  by?: string,
): ReturnCodeError {
  const own = plugin.sectionReturns?.[section];
  const names = Object.keys(sectionCodes(plugin, section));
  const has = `it has ${names.length > 0 ? names.join(', ') : 'none'}${own?.returns ? `; it returns ${own.returns}` : ''}`;
  const why = own?.refused && Object.hasOwn(own.refused, code) ? `: ${own.refused[code]}` : '';
  return new ReturnCodeError(plugin.name, section, code, by, `${shown} is not a return code${why} (${has})`);
}

/** The value of the return code `code` of `section`; throws {@link ReturnCodeError} when it has none of that name. */
export function namedReturn(plugin: PluginReturns, section: string, code: string): number {
  const codes = sectionCodes(plugin, section);
  if (Object.hasOwn(codes, code)) return codes[code]!;
  throw refusal(plugin, section, code, JSON.stringify(code));
}

/**
 * Throws {@link ReturnCodeError} naming `chosen.by` when `section` does not return
 * `chosen.code`: the section refuses one of the code's names, or the code is one of the
 * plugin's that the section does not have and the section returns named codes only (no
 * `returns` of its `sectionReturns`). A number that is none of the plugin's codes is not
 * judged: plugins do not list every value their programs may return.
 */
export function checkChosenReturn(plugin: PluginReturns, section: string, chosen: ChosenReturn): void {
  if (Object.values(sectionCodes(plugin, section)).includes(chosen.code)) return;
  const own = plugin.sectionReturns?.[section];
  const names = Object.keys(plugin.returnCodes).filter((name) => plugin.returnCodes[name] === chosen.code);
  const refused = names.find((name) => own?.refused !== undefined && Object.hasOwn(own.refused, name));
  if (refused === undefined && (names.length === 0 || own?.returns !== undefined)) return;
  const name = refused ?? names[0]!;
  throw refusal(plugin, section, name, `${name} (${chosen.code}) from ${chosen.by}`, chosen.by);
}

/** {@link checkChosenReturn} of every instruction of `insns` that records a chosen code. */
export function checkChosenReturns(
  plugin: PluginReturns,
  section: string,
  insns: readonly Instruction[],
): void {
  for (const insn of insns) if (insn.returns !== undefined) checkChosenReturn(plugin, section, insn.returns);
}
