import { ldx, type SizeName, stx } from '../builders/memory.js';
import { AssemblyError } from '../errors.js';
import { findHelper } from '../helpers.js';
import type { Instruction } from '../instruction.js';
import { R1, type Register } from '../registers.js';

/** One field of a program's context structure. */
export interface ContextField {
  /** Byte offset in the context. */
  readonly offset: number;
  /** Size in bytes (1, 2, 4 or 8). */
  readonly size: 1 | 2 | 4 | 8;
  /** The program may load it. */
  readonly readable: boolean;
  /** The program may store to it. */
  readonly writable: boolean;
}

/** The context a program receives in R1. */
export interface ContextLayout {
  /** C type name, e.g. `struct __sk_buff`. */
  readonly type: string;
  /** Size of the whole structure in bytes. */
  readonly size: number;
  /** Fields by name (array elements as `cb[0]` …). */
  readonly fields: Readonly<Record<string, ContextField>>;
}

/** A ready-made program of a plugin; its arguments are the template's own. */
// biome-ignore lint/suspicious/noExplicitAny: each template takes arguments of its own
export type PluginTemplate = (...args: any[]) => readonly Instruction[];

/** Describes one program/attach type to the DSL: context, return codes, helpers, templates. */
export interface DslPlugin {
  /** Short name, e.g. `socket_filter`. */
  readonly name: string;
  /** `bpf_prog_type` number (see `ProgramType`). */
  readonly programType: number;
  /** `bpf_attach_type` the kernel expects at load time, if any. */
  readonly expectedAttachType?: number;
  /** ELF section names (libbpf convention) of this program type. */
  readonly sectionNames: readonly string[];
  /** Layout of the context structure. */
  readonly context: ContextLayout;
  /** Named return codes. */
  readonly returnCodes: Readonly<Record<string, number>>;
  /** Helper names this type may call, or `'all'` when not restricted here. */
  readonly helpers: readonly string[] | 'all';
  /** Instructions to run first (e.g. saving the context in a callee-saved register). */
  readonly prologue?: () => readonly Instruction[];
  /** Ready-made programs by name. */
  readonly templates?: Readonly<Record<string, PluginTemplate>>;
}

const SIZE_NAMES: Record<number, SizeName> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

function field(plugin: DslPlugin, name: string): ContextField {
  const f = plugin.context.fields[name];
  if (!f) throw new AssemblyError(`${plugin.context.type} has no field '${name}'`);
  return f;
}

/** `dst = ctx->name`: a load of a readable context field with its declared size. */
export function loadContext(plugin: DslPlugin, name: string, dst: Register, ctx: Register = R1): Instruction {
  const f = field(plugin, name);
  if (!f.readable)
    throw new AssemblyError(`${plugin.name} programs may not read ${plugin.context.type}.${name}`);
  return ldx(SIZE_NAMES[f.size]!, dst, ctx, f.offset);
}

/** `ctx->name = src`: a store to a writable context field. */
export function storeContext(
  plugin: DslPlugin,
  name: string,
  src: Register,
  ctx: Register = R1,
): Instruction {
  const f = field(plugin, name);
  if (!f.writable)
    throw new AssemblyError(`${plugin.name} programs may not write ${plugin.context.type}.${name}`);
  return stx(SIZE_NAMES[f.size]!, ctx, src, f.offset);
}

/**
 * Checks that every helper call in `insns` is one the plugin allows; throws an
 * {@link AssemblyError} naming the first that is not.
 */
export function checkHelpers(plugin: DslPlugin, insns: readonly Instruction[]): void {
  if (plugin.helpers === 'all') return;
  const allowed = new Set(plugin.helpers);
  insns.forEach((insn, i) => {
    if (insn.code !== 0x85 || insn.src !== 0) return;
    const h = findHelper(insn.imm);
    if (!h || !allowed.has(h.name)) {
      throw new AssemblyError(
        `${plugin.name} programs may not call helper ${h?.name ?? insn.imm}`,
        i,
        `call ${insn.imm}`,
      );
    }
  });
}
