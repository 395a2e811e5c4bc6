import { type DslPlugin, definePlugin, type Fragment, mov, PluginSection, R1, R6 } from '@ts-ebpf/dsl';
import { SkAction } from '@ts-ebpf/uapi';
import { SK_LOOKUP, type SkLookupContext } from './context.js';

/** sk_lookup return codes by name (`enum sk_action`, from `@ts-ebpf/uapi`). */
export const SK_LOOKUP_RETURN_CODES = Object.freeze({
  SK_DROP: SkAction.DROP,
  SK_PASS: SkAction.PASS,
} as const);

/** An sk_lookup verdict by name: `'SK_PASS'` (go on, with the assigned socket if any) or `'SK_DROP'`. */
export type SkLookupVerdict = keyof typeof SK_LOOKUP_RETURN_CODES;

/** The register the sk_lookup plugin's prologue keeps the context in for the whole program. */
export const SK_LOOKUP_CTX = R6;

/** The sk_lookup plugin's type. */
export type SkLookupPlugin = DslPlugin<SkLookupContext, typeof SK_LOOKUP_RETURN_CODES, Record<never, never>>;

/**
 * The plugin for `BPF_PROG_TYPE_SK_LOOKUP` (section `sk_lookup`, attach type SK_LOOKUP,
 * attached to a network namespace). Its prologue copies the context from R1 into R6
 * ({@link SK_LOOKUP_CTX}), where this package's fragments expect it, since helper calls
 * clobber R1–R5. Programs return SK_PASS (the lookup goes on, and uses the socket the program
 * assigned, if any) or SK_DROP (the packet is dropped: a TCP connection is refused).
 * The templates are exported separately (`steerPortRange`, `dispatchByLocalAddress`).
 */
export const skLookupPlugin: SkLookupPlugin = definePlugin({
  name: 'sk_lookup',
  sections: ['sk_lookup'],
  context: SK_LOOKUP,
  returnCodes: SK_LOOKUP_RETURN_CODES,
  prologue: (): Fragment => [mov(SK_LOOKUP_CTX, R1)],
  templates: Object.freeze({}),
});

/**
 * The sk_lookup plugin's section: `.load('local_port', R2, SK_LOOKUP_CTX)`, `.ret('SK_PASS')`
 * and `.build(body)`, which gives what `Program.load` takes.
 */
export function skLookup(): PluginSection<
  SkLookupContext,
  typeof SK_LOOKUP_RETURN_CODES,
  Record<never, never>
> {
  return new PluginSection(skLookupPlugin, 'sk_lookup');
}
