import { type DslPlugin, pluginSection } from '@ts-ebpf/dsl';
import {
  ATTACH_KINDS,
  AttachError,
  type AttachKind as FunctionKind,
  requireAttachKind,
} from '@ts-ebpf/programs';
import type { AttachKind, AttachSpec } from './attach-spec.js';
import { DefinitionError } from './errors.js';

/** The attach function (its kind in `ATTACH_KINDS` of `@ts-ebpf/programs`) each attach kind calls. */
const FUNCTION_KIND: Readonly<Record<AttachKind, FunctionKind>> = {
  xdp: 'xdp',
  tcx: 'tcx',
  tc: 'tc',
  kprobe: 'kprobe',
  kretprobe: 'kprobe',
  tracepoint: 'tracepoint',
  raw_tp: 'raw_tracepoint',
  tp_btf: 'tp_btf',
  fentry: 'tracing',
  fexit: 'tracing',
  fmod_ret: 'tracing',
  lsm: 'tracing',
  uprobe: 'uprobe',
  uretprobe: 'uprobe',
  usdt: 'uprobe',
  cgroup: 'cgroup',
  sk_lookup: 'netns',
  flow_dissector: 'netns',
  netfilter: 'netfilter',
  sockmap: 'sockmap',
  perf_event: 'perf_event',
  iter: 'iter',
};

/** What a definition says of the program it loads, as far as it says it before `build` runs. */
export interface DeclaredProgram {
  readonly name?: string | undefined;
  readonly type?: number | undefined;
  readonly expectedAttachType?: number | undefined;
  readonly plugin?: DslPlugin | undefined;
  readonly section?: string | undefined;
}

/** The program type and expected attach type `program` will be loaded with, when it says them. */
function declaredTypes(program: DeclaredProgram): { type: number; expectedAttachType?: number } | undefined {
  if (program.type !== undefined)
    return {
      type: program.type,
      ...(program.expectedAttachType !== undefined && { expectedAttachType: program.expectedAttachType }),
    };
  if (program.plugin === undefined || program.section === undefined) return undefined;
  const { progType, expectedAttachType } = pluginSection(program.plugin, program.section).def;
  return { type: progType, ...(expectedAttachType !== undefined && { expectedAttachType }) };
}

/**
 * Refuses, before anything is loaded, an attach kind whose attach function does not take the
 * program's type (or expected attach type), as `ATTACH_KINDS` of `@ts-ebpf/programs` says: an XDP
 * program declared with a `tcx` attach. A program whose type is known only once `build` ran
 * (a plugin-built program returned by `build`) is checked when its type is known, still before
 * any program of the script is loaded.
 * @throws DefinitionError naming `subject`, `attach.kind`, the program's type and the types the
 *   kind takes; `cause` the `AttachError` of `requireAttachKind`
 */
export function checkAttachKind(subject: string, program: DeclaredProgram, spec: AttachSpec): void {
  const types = declaredTypes(program);
  const kind = FUNCTION_KIND[spec.kind];
  if (types === undefined || kind === undefined) return;
  const target = `attach kind '${spec.kind}'`;
  try {
    requireAttachKind(kind, { name: program.name, ...types }, target);
  } catch (e) {
    if (!(e instanceof AttachError)) throw e;
    const why = e.message.slice(`cannot attach to ${target}: `.length);
    throw new DefinitionError(
      subject,
      'attach.kind',
      `'${spec.kind}' (${ATTACH_KINDS[kind].attachFunction}) cannot attach the program: ${why}`,
      { cause: e },
    );
  }
}
