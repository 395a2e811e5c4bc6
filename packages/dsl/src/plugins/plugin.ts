import {
  allowedHelpers,
  attachTypeName,
  progTypeName,
  type ResolvedSection,
  resolveSection,
  unprobedHelperAccess,
} from '@ts-ebpf/uapi';
import { mov } from '../builders/alu.js';
import { exit } from '../builders/jump.js';
import { formatInstructionWithHelperName } from '../format.js';
import type { Instruction } from '../instruction.js';
import { type Fragment, program } from '../labels.js';
import { R0, type Register } from '../registers.js';
import { type ContextLayout, loadContextField, storeContextField } from './context.js';
import { HelperNotAllowedError, PluginError, PluginSectionError } from './errors.js';
import { checkChosenReturns, namedReturn, sectionCodes } from './returns.js';

/** Named return codes of a program type, e.g. `{ XDP_DROP: 1, XDP_PASS: 2 }`. */
export type ReturnCodes = Readonly<Record<string, number>>;

/**
 * What programs of one section return when that is not the plugin's {@link ReturnCodes}: a
 * stream parser, say, returns a length where the other sections of its plugin return a verdict.
 */
export interface SectionReturns {
  /** The section's named return codes, `{}` when it has none. */
  readonly codes: ReturnCodes;
  /**
   * What else the program returns, for messages, e.g. `the length of the next message in
   * bytes (returnLength of @ts-ebpf/dsl-socket)`.
   */
  readonly returns?: string;
  /**
   * Names the section refuses although they look like return codes (most often codes of the
   * plugin's, which mean something else or nothing in this section), each with what the kernel
   * does with it there, for the `PluginError` of `ret()`: e.g. `{ TC_ACT_STOLEN: 'tcx treats
   * it as TCX_NEXT: the packet passes; use TCX_DROP' }`. None of them may be one of `codes`.
   */
  readonly refused?: Readonly<Record<string, string>>;
}

/** Ready-made programs or fragments of a plugin, each with arguments of its own. */
export type PluginTemplates = Readonly<Record<string, (...args: never[]) => Fragment>>;

/**
 * Describes one attach family to the DSL: the section names it covers (each one of libbpf's,
 * which gives the program type and expected attach type), the context layout, return codes
 * (the plugin's, and those of any section that returns something else), prologue, epilogue and
 * templates. Which helpers a section may call comes from the kernel's
 * func_proto tables (`allowedHelpers` of `@ts-ebpf/uapi`) unless the plugin says otherwise.
 * Make one with {@link definePlugin}.
 */
export interface DslPlugin<
  Context extends ContextLayout = ContextLayout,
  Return extends ReturnCodes = ReturnCodes,
  Templates extends PluginTemplates = PluginTemplates,
> {
  /** Short name, e.g. `xdp`. */
  readonly name: string;
  /** Section names (libbpf's SEC() names) of the programs this plugin builds, e.g. `xdp`, `xdp/devmap`. */
  readonly sections: readonly string[];
  /** Layout of the context structure the program gets in R1. */
  readonly context: Context;
  /** Named return codes of every section not in {@link DslPlugin.sectionReturns}. */
  readonly returnCodes: Return;
  /**
   * What the named sections return in place of {@link DslPlugin.returnCodes}; a section not
   * listed has the plugin's return codes.
   */
  readonly sectionReturns?: Readonly<Record<string, SectionReturns>>;
  /**
   * The helper ids programs of a section may call, for program types the kernel facts do not
   * cover (those needing an attach BTF id). Default: `allowedHelpers` of `@ts-ebpf/uapi`.
   */
  readonly helpers?: (section: ResolvedSection) => ReadonlySet<number>;
  /** Instructions every built program starts with (e.g. saving the context in R6). */
  readonly prologue?: () => Fragment;
  /** Instructions every built program ends with, after the body. */
  readonly epilogue?: () => Fragment;
  /** Ready-made programs and fragments by name. */
  readonly templates: Templates;
}

/**
 * A plugin's `sectionReturns`, checked (each key one of its sections, no name both a code and
 * refused) and frozen.
 */
function checkedSectionReturns(
  plugin: Pick<DslPlugin, 'name' | 'sections' | 'sectionReturns'>,
): Readonly<Record<string, SectionReturns>> | undefined {
  const given = plugin.sectionReturns;
  if (given === undefined) return undefined;
  for (const [name, r] of Object.entries(given)) {
    if (!plugin.sections.includes(name))
      throw new PluginError(
        `plugin '${plugin.name}': sectionReturns names '${name}', which is not one of its sections`,
      );
    const both = Object.keys(r.refused ?? {}).filter((code) => Object.hasOwn(r.codes, code));
    if (both.length > 0)
      throw new PluginError(
        `plugin '${plugin.name}': sectionReturns of '${name}' both has and refuses ${both.join(', ')}`,
      );
  }
  return Object.freeze(
    Object.fromEntries(
      Object.entries(given).map(([name, r]) => [
        name,
        Object.freeze({
          ...r,
          codes: Object.freeze({ ...r.codes }),
          ...(r.refused && { refused: Object.freeze({ ...r.refused }) }),
        }),
      ]),
    ),
  );
}

/**
 * Checks a plugin description (every section name must be one of libbpf's, every section of
 * `sectionReturns` one of the plugin's, none of whose codes it also refuses) and freezes it. Throws {@link PluginError} naming the
 * plugin and the section.
 */
export function definePlugin<C extends ContextLayout, R extends ReturnCodes, T extends PluginTemplates>(
  plugin: DslPlugin<C, R, T>,
): DslPlugin<C, R, T> {
  if (plugin.sections.length === 0) throw new PluginError(`plugin '${plugin.name}' names no section`);
  for (const name of plugin.sections) {
    if (!resolveSection(name))
      throw new PluginError(`plugin '${plugin.name}': '${name}' is not a section name`);
  }
  const sectionReturns = checkedSectionReturns(plugin);
  return Object.freeze({
    ...plugin,
    sections: Object.freeze([...plugin.sections]),
    ...(sectionReturns && { sectionReturns }),
  });
}

/**
 * What `Program.load` of `@ts-ebpf/programs` takes as is: program type, expected attach type,
 * flags and instructions, with the plugin and section it was built for (so the loader can
 * check it again).
 */
export interface PluginProgram {
  /** `BpfProgType`. */
  readonly type: number;
  /** `BpfAttachType`, when the section has one. */
  readonly expectedAttachType?: number;
  /** A BTF attach target, when one was given to {@link PluginSection.build}. */
  readonly attachTo?: string;
  /** BPF_F_SLEEPABLE, when the section says so. */
  readonly sleepable?: boolean;
  /** BPF_F_XDP_HAS_FRAGS, when the section says so (`xdp.frags`). */
  readonly xdpFrags?: boolean;
  /** The program. */
  readonly instructions: readonly Instruction[];
  /** The section it was built for. */
  readonly section: string;
  /** The plugin that built it. */
  readonly plugin: DslPlugin;
}

/** Options of {@link PluginSection.build}. */
export interface BuildOptions {
  /** A BTF name the program attaches to (tracing, LSM, struct_ops …), passed on as `attachTo`. */
  readonly attachTo?: string;
}

function typeLabel(def: ResolvedSection): string {
  const type = progTypeName(def.progType);
  return def.expectedAttachType === undefined ? type : `${type} (${attachTypeName(def.expectedAttachType)})`;
}

/** One section of a plugin: what programs built for it may access, call and return. */
export class PluginSection<
  Context extends ContextLayout = ContextLayout,
  Return extends ReturnCodes = ReturnCodes,
  Templates extends PluginTemplates = PluginTemplates,
> {
  /** The plugin. */
  readonly plugin: DslPlugin<Context, Return, Templates>;
  /** The section name. */
  readonly section: string;
  /** Program type, expected attach type and flags of the section. */
  readonly def: ResolvedSection;
  #helpers: ReadonlySet<number> | undefined;

  /** Throws {@link PluginSectionError} for a section the plugin does not describe. */
  constructor(plugin: DslPlugin<Context, Return, Templates>, section: string) {
    if (!plugin.sections.includes(section))
      throw new PluginSectionError(plugin.name, section, plugin.sections);
    this.plugin = plugin;
    this.section = section;
    this.def = resolveSection(section)!;
  }

  /** The helper ids programs of this section may call. */
  get helpers(): ReadonlySet<number> {
    if (this.#helpers) return this.#helpers;
    const { progType, expectedAttachType } = this.def;
    const found = this.plugin.helpers?.(this.def) ?? allowedHelpers(progType, expectedAttachType);
    if (!found) {
      throw new PluginError(
        `plugin '${this.plugin.name}', section '${this.section}': the helpers of ${typeLabel(this.def)} programs are not known (${unprobedHelperAccess(progType, expectedAttachType)}); give the plugin a helpers() function`,
      );
    }
    this.#helpers = found;
    return found;
  }

  /** `dst = ctx->name`, refused with a `ContextAccessError` when this section may not read it. */
  load(name: keyof Context['fields'] & string, dst: Register, ctx?: Register): Instruction {
    return loadContextField(this.#subject(), name, dst, ctx);
  }

  /** `ctx->name = src`, refused with a `ContextAccessError` when this section may not write it. */
  store(name: keyof Context['fields'] & string, src: Register, ctx?: Register): Instruction {
    return storeContextField(this.#subject(), name, src, ctx);
  }

  /**
   * The named return codes of this section: its own when the plugin declares them in
   * `sectionReturns`, else the plugin's. Typed as `Return`, which {@link pluginSection} takes
   * from the plugin: a plugin's own accessor for a section with codes of its own (e.g.
   * `skSkb('sk_skb/stream_parser')`) types them.
   */
  get returnCodes(): Return {
    return sectionCodes(this.plugin, this.section) as Return;
  }

  /**
   * `r0 = <code>; exit`. Throws {@link ReturnCodeError} (a {@link PluginError}) naming the
   * code, the plugin, the section and the codes it has (and what else it returns) for a name
   * that is not one of this section's return codes, with what the kernel does with it there
   * when the section refuses it by name (`refused` of its `sectionReturns`).
   */
  ret(code: keyof Return & string): Instruction[] {
    return [mov(R0, namedReturn(this.plugin, this.section, code)), exit()];
  }

  /**
   * Refuses, with {@link ReturnCodeError} naming the option or template that chose it, the
   * first return code recorded on `insns` (`ChosenReturn`: an `onFailure` action, a template's
   * verdict) that this section does not return, as {@link PluginSection.ret} refuses a name.
   */
  checkReturns(insns: readonly Instruction[]): void {
    checkChosenReturns(this.plugin, this.section, insns);
  }

  /**
   * Refuses, with {@link HelperNotAllowedError} naming the helper and the program type, the
   * first call of a helper this section may not call.
   */
  checkHelpers(insns: readonly Instruction[]): void {
    const allowed = this.helpers;
    insns.forEach((insn, i) => {
      if (insn.code !== 0x85 || insn.src !== 0 || allowed.has(insn.imm)) return;
      throw new HelperNotAllowedError(
        insn.imm,
        typeLabel(this.def),
        i,
        formatInstructionWithHelperName(insn),
      );
    });
  }

  /**
   * The prologue, `body` and the epilogue as one program, its helper calls and the return
   * codes its fragments chose checked ({@link PluginSection.checkHelpers},
   * {@link PluginSection.checkReturns}), with what `Program.load` needs to load it.
   */
  build(body: Fragment, options: BuildOptions = {}): PluginProgram {
    const instructions = program(this.plugin.prologue?.() ?? [], body, this.plugin.epilogue?.() ?? []);
    this.checkHelpers(instructions);
    this.checkReturns(instructions);
    const { progType, expectedAttachType, sleepable, xdpFrags } = this.def;
    return Object.freeze({
      type: progType,
      ...(expectedAttachType !== undefined && { expectedAttachType }),
      ...(options.attachTo !== undefined && { attachTo: options.attachTo }),
      ...(sleepable && { sleepable }),
      ...(xdpFrags && { xdpFrags }),
      instructions: Object.freeze(instructions),
      section: this.section,
      plugin: this.plugin as unknown as DslPlugin,
    });
  }

  #subject() {
    return { plugin: this.plugin.name, context: this.plugin.context, section: this.section };
  }
}

/** The section `section` of `plugin`: builds, checks and accesses the context for it. */
export function pluginSection<C extends ContextLayout, R extends ReturnCodes, T extends PluginTemplates>(
  plugin: DslPlugin<C, R, T>,
  section: string,
): PluginSection<C, R, T> {
  return new PluginSection(plugin, section);
}

/**
 * Checks a program built by a plugin again (after it was changed, or before loading): its
 * program type and expected attach type must be its section's, its helper calls ones the
 * section may call, and the return codes its instructions record (`ChosenReturn`) ones the
 * section returns. Throws {@link PluginError}, {@link HelperNotAllowedError} or
 * {@link ReturnCodeError}.
 */
export function checkPluginProgram(
  p: Pick<PluginProgram, 'plugin' | 'section' | 'instructions' | 'type' | 'expectedAttachType'>,
): void {
  const target = new PluginSection(p.plugin, p.section);
  const { progType, expectedAttachType } = target.def;
  if (p.type !== progType || p.expectedAttachType !== expectedAttachType) {
    const given = typeLabel({ ...target.def, progType: p.type, expectedAttachType: p.expectedAttachType });
    throw new PluginError(
      `plugin '${p.plugin.name}', section '${p.section}': built for ${typeLabel(target.def)} programs, loaded as ${given}`,
    );
  }
  target.checkHelpers(p.instructions);
  target.checkReturns(p.instructions);
}

/**
 * `dst = ctx->name` for any section of `plugin` (a field readable in at least one); use a
 * {@link PluginSection} to check against one section.
 */
export function loadContext<C extends ContextLayout>(
  plugin: DslPlugin<C, ReturnCodes, PluginTemplates>,
  name: keyof C['fields'] & string,
  dst: Register,
  ctx?: Register,
): Instruction {
  return loadContextField({ plugin: plugin.name, context: plugin.context }, name, dst, ctx);
}

/** `ctx->name = src` for any section of `plugin` (a field writable in at least one). */
export function storeContext<C extends ContextLayout>(
  plugin: DslPlugin<C, ReturnCodes, PluginTemplates>,
  name: keyof C['fields'] & string,
  src: Register,
  ctx?: Register,
): Instruction {
  return storeContextField({ plugin: plugin.name, context: plugin.context }, name, src, ctx);
}
