import {
  type DslPlugin,
  definePlugin,
  exit,
  type Fragment,
  ldx,
  type MapRef,
  mov,
  PluginSection,
  R0,
  R1,
  R6,
  type Register,
} from '@ts-ebpf/dsl';
import { SkAction } from '@ts-ebpf/uapi';
import { mapHelperCall, redirectFlags, type SocketRedirectOptions } from './redirect-flags.js';
import { SK_BUFF, SK_SKB_SECTIONS, type SkBuffContext, type SkSkbSectionName } from './sk-buff.js';
import { type STREAM_PARSER_RETURN_CODES, STREAM_PARSER_RETURNS } from './stream-parser.js';
import type { StackKey, Value } from './values.js';

/**
 * sk_skb and sk_msg verdicts by name (`enum sk_action`, from `@ts-ebpf/uapi`): the return
 * codes of every sk_skb section but `sk_skb/stream_parser`, which returns a length.
 */
export const SK_RETURN_CODES = Object.freeze({ SK_DROP: SkAction.DROP, SK_PASS: SkAction.PASS } as const);

/** A verdict by name. */
export type SkVerdict = keyof typeof SK_RETURN_CODES;

/** The register the sk_skb, sk_msg and sock_ops plugins' prologues keep the context in. */
export const SOCKET_CTX = R6;

/** The sk_skb plugin's templates: whole programs (bodies for `skSkb(section).build(...)`). */
export const SK_SKB_TEMPLATES = Object.freeze({
  /**
   * A stream parser whose every message is all the data received so far (`r0 = skb->len`); see
   * {@link returnLength} for other lengths.
   */
  wholeBuffer: (): Fragment => [ldx('w', R0, SOCKET_CTX, SK_BUFF.fields.len.offset), exit()],
  /**
   * An echo/redirect proxy (for `sk_skb/stream_verdict`): everything a socket of the sockmap
   * receives is sent out of the socket at `key` of `sockmap` (or queued on its receive side
   * with `ingress: true`). Give each of two sockets the other's key and they are joined; give a
   * socket its own key and it echoes.
   */
  redirectProxy: (sockmap: MapRef, key: Value, options: SocketRedirectOptions = {}): Fragment => [
    ...skRedirectMap(sockmap, key, options),
    exit(),
  ],
});

/** The sk_skb plugin's type. */
export type SkSkbPlugin = DslPlugin<SkBuffContext, typeof SK_RETURN_CODES, typeof SK_SKB_TEMPLATES>;

/**
 * The plugin for `BPF_PROG_TYPE_SK_SKB`: sections `sk_skb/stream_parser` (returns the length
 * of the next message: {@link returnLength}; it has no named return codes), `sk_skb/stream_verdict`
 * and `sk_skb/verdict` (return SK_PASS, SK_DROP, or redirect), and `sk_skb` (no attach type,
 * the verdicts' codes), attached to a sockmap or sockhash. Its prologue saves the context in R6
 * ({@link SOCKET_CTX}).
 */
export const skSkbPlugin: SkSkbPlugin = definePlugin({
  name: 'sk_skb',
  sections: SK_SKB_SECTIONS,
  context: SK_BUFF,
  returnCodes: SK_RETURN_CODES,
  sectionReturns: { 'sk_skb/stream_parser': STREAM_PARSER_RETURNS },
  prologue: (): Fragment => [mov(SOCKET_CTX, R1)],
  templates: SK_SKB_TEMPLATES,
});

/** An sk_skb verdict section: `ret('SK_PASS')`, `ret('SK_DROP')`. */
export type SkSkbVerdictSection = PluginSection<
  SkBuffContext,
  typeof SK_RETURN_CODES,
  typeof SK_SKB_TEMPLATES
>;

/** The stream parser section: no named return codes (end it with {@link returnLength}). */
export type SkSkbParserSection = PluginSection<
  SkBuffContext,
  typeof STREAM_PARSER_RETURN_CODES,
  typeof SK_SKB_TEMPLATES
>;

/**
 * The sk_skb plugin's section `name` (default `sk_skb/stream_verdict`). The stream parser's
 * section has no named return codes: `ret('SK_PASS')` there is a type error and, past the
 * types, a `PluginError` naming the section.
 */
export function skSkb(name: 'sk_skb/stream_parser'): SkSkbParserSection;
export function skSkb(name?: Exclude<SkSkbSectionName, 'sk_skb/stream_parser'>): SkSkbVerdictSection;
export function skSkb(name: SkSkbSectionName): SkSkbParserSection | SkSkbVerdictSection;
export function skSkb(
  name: SkSkbSectionName = 'sk_skb/stream_verdict',
): SkSkbParserSection | SkSkbVerdictSection {
  return new PluginSection(skSkbPlugin, name);
}

/**
 * `r0 = bpf_sk_redirect_map(skb, sockmap, key, flags)`: the data goes to the socket at `key`
 * (a u32) of a sockmap. R0 is then SK_PASS, or SK_DROP when the map has no socket there:
 * follow with `exit()`. The context is in `ctx` (default {@link SOCKET_CTX}). Clobbers R1–R5.
 */
export function skRedirectMap(
  sockmap: MapRef,
  key: Value,
  options: SocketRedirectOptions = {},
  ctx: Register = SOCKET_CTX,
): Fragment {
  return mapHelperCall('sk_redirect_map', sockmap, key, redirectFlags(options), ctx);
}

/**
 * `r0 = bpf_sk_redirect_hash(skb, sockhash, &key, flags)`: as {@link skRedirectMap} through a
 * sockhash, with the key on the stack.
 */
export function skRedirectHash(
  sockhash: MapRef,
  key: StackKey,
  options: SocketRedirectOptions = {},
  ctx: Register = SOCKET_CTX,
): Fragment {
  return mapHelperCall('sk_redirect_hash', sockhash, key, redirectFlags(options), ctx);
}
