/**
 * @packageDocumentation
 * `@ts-ebpf/macros`: declarative eBPF. Define maps and programs once ({@link defineMap},
 * {@link defineProgram}); {@link script} creates, loads and attaches them, hands back typed
 * accessors, and closes everything in reverse order on `close()` or on the first failure.
 * {@link script.fromObject} does the same for a clang-compiled object.
 */

export type {
  AttachKind,
  AttachSpec,
  CgroupAttach,
  IterAttach,
  KprobeAttach,
  NetfilterAttach,
  NetnsAttach,
  PerfEventAttach,
  RawTracepointAttach,
  SockmapAttach,
  TcAttach,
  TcxAttach,
  TracepointAttach,
  TracingAttach,
  UprobeAttach,
  UsdtAttach,
  XdpAttach,
} from './attach-spec.js';
export {
  type AnyMapDefinition,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_RINGBUF_BYTES,
  defineMap,
  isMapDefinition,
  type MapDefinition,
  type MapDefinitionOptions,
} from './define-map.js';
export {
  type AnyProgramDefinition,
  defineProgram,
  type ExtraLoadOptions,
  isProgramDefinition,
  type LinkFor,
  type MapDefinitions,
  type ProgramBody,
  type ProgramDefinition,
  type ProgramDefinitionOptions,
  type ScriptMaps,
} from './define-program.js';
export { DefinitionError, ScriptError } from './errors.js';
export { ObjectScript, type ObjectScriptOptions, scriptFromObject } from './from-object.js';
export type { ObjectAttach } from './from-object-check.js';
export {
  type AllMaps,
  type AttachOverrides,
  type ProgramDefinitions,
  type ProgramMaps,
  Script,
  type ScriptLinks,
  type ScriptOptions,
  type StructOpsRegistration,
  script,
} from './script.js';
