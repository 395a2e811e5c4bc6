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
} from '@ts-ebpf/elf-reader';
export { type AttachTargets, attachBySection } from './attach.js';
export { type BtfMapSpec, Pinning, parseBtfMaps } from './btf-maps.js';
export { Collection, type CollectionOptions, loadCollection } from './collection.js';
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
  CollectionVerifierError,
  ElfError,
  ElfTargetError,
  KconfigError,
  KernelSymbolNotFoundError,
  MapCreateError,
  NameNotFoundError,
  ObjectBtfError,
  SectionAttachError,
  UnknownSectionError,
  VariableValueError,
} from './errors.js';
export { type ProgramExtInfo, programExtInfo } from './ext-info.js';
export { INSN_SIZE, toLittleEndian } from './instructions.js';
export { buildKconfig, type KconfigData, type KconfigExtern, parseKconfig, Tristate } from './kconfig.js';
export { readKernelConfig } from './node-config.js';
export { fixupObjectBtf } from './object-btf.js';
export { checkPlugins, PluginCheckError } from './plugin-check.js';
export { type RelocationTargets, relocate } from './relocate.js';
export { type ResolvedSection, resolveSection, SECTION_DEFS, type SectionDef } from './sections.js';
export { encodeVariable, GlobalVariable, rewriteConstants, type VariableValue } from './variables.js';
