/**
 * @packageDocumentation
 * `@ts-ebpf/elf`: reads BPF ELF objects compiled by clang and resolves libbpf's
 * section conventions.
 */

export {
  ElfFile,
  type ElfHeader,
  type ElfRelocation,
  type ElfSection,
  type ElfSegment,
  type ElfSymbol,
  parseElf,
  SectionFlag,
  SectionType,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHN_XINDEX,
  SymbolBind,
  SymbolType,
  stripDebugSections,
} from '@ts-ebpf/elf-reader';
// The helper threads loadCollection's `threads` option verifies programs on, and the error of a
// typeless `__ksym` whose address /proc/kallsyms cannot give (declared in @ts-ebpf/syscall).
export {
  HelperThreadError,
  KallsymsError,
  startHelperThreads,
  stopHelperThreads,
} from '@ts-ebpf/syscall';
export { attachBySection } from './attach.js';
export { checkSectionAttach } from './attach-plan.js';
export type { AttachTargets } from './attach-targets.js';
export { type BtfMapSpec, type MapLoadSettings, Pinning, parseBtfMaps } from './btf-maps.js';
export { Collection } from './collection.js';
export { type AsyncCollectionOptions, loadCollectionAsync } from './collection-async.js';
export { loadCollection } from './collection-load.js';
export type { CollectionOptions } from './collection-options.js';
export {
  type CollectionSpec,
  type CollectionSpecOptions,
  type DataSectionSpec,
  type LegacyMapSpec,
  loadCollectionSpec,
  type ProgramSpec,
  type Reference,
  type SkippedProgram,
} from './collection-spec.js';
export { BpfReloc, EM_BPF } from './constants.js';
export {
  applyCoreRelocations,
  type CoreOptions,
  type CoreRelocationOutcome,
  type CoreRelocationResult,
  describeCoreRelocation,
} from './core/apply.js';
export { CoreError } from './core/errors.js';
export { type CoreFailure, explainCoreFailure } from './core/explain.js';
export { CORE_POISON_HELPER } from './core/patch.js';
export type { CreatedMaps, RawMap } from './create-maps.js';
export {
  AttachOptionsError,
  AttachRollbackError,
  CollectionPinError,
  CollectionVerifierError,
  DataRelocationError,
  ElfError,
  ElfTargetError,
  KconfigError,
  KernelSymbolNotFoundError,
  LinkError,
  MapCreateError,
  MapReplacementError,
  type MapReplacementMismatch,
  NameNotFoundError,
  ObjectBtfError,
  SectionAttachError,
  SpecEditError,
  UnknownSectionError,
  UsdtAttachError,
  UsdtSpecError,
  VariableValueError,
} from './errors.js';
export { type ProgramExtInfo, programExtInfo } from './ext-info.js';
export { INSN_SIZE, toLittleEndian } from './instructions.js';
export {
  buildKconfig,
  type KconfigData,
  type KconfigExtern,
  type KconfigValue,
  kconfigValueType,
  parseKconfig,
  Tristate,
} from './kconfig.js';
export { MapEdit, type ValueSizeOptions } from './map-edit.js';
export type { MapReplacements } from './map-replacements.js';
export { readKernelConfig } from './node-config.js';
export { fixupObjectBtf } from './object-btf.js';
export { checkPlugins, PluginCheckError } from './plugin-check.js';
export { ProgramEdit } from './program-edit.js';
export {
  type AttachTargetOptions,
  ProgramTargetError,
  type ProgramTargetProblem,
} from './program-target.js';
export { type RelocationTargets, relocate } from './relocate.js';
export { type ResolvedSection, resolveSection, SECTION_DEFS, type SectionDef } from './sections.js';
export { type AdjustableParts, SpecAdjuster } from './spec-adjust.js';
export { type LinkObjectsOptions, linkObjects } from './static-link/link-objects.js';
export {
  encodeUsdtSpec,
  parseX86UsdtArg,
  parseX86UsdtArgs,
  USDT_MAX_ARGS,
  USDT_SPEC_SIZE,
  UsdtArgKind,
  type UsdtArgSpec,
  X86_64_PT_REGS_OFFSET,
} from './usdt/arg-spec.js';
export { USDT_IP_MAP, type UsdtTarget } from './usdt/attach.js';
export { fileOffsetOf, readUsdtNotes, type UsdtNote } from './usdt/notes.js';
export { USDT_SPECS_MAP } from './usdt/spec-map.js';
export { encodeVariable, GlobalVariable, rewriteConstants, type VariableValue } from './variables.js';
export { VIRTUAL_KCONFIG } from './virtual-kconfig.js';
