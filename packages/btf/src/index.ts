/**
 * BTF for TypeScript: parse, query, build, serialize, dump as C and parse BTF.ext. Pure
 * TypeScript: imports no FFI and no `node:` module, so it runs in any JavaScript runtime and in
 * a bundler. Kernel access (reading this machine's BTF, loading BTF into the kernel) is the
 * `@ts-ebpf/btf/kernel` subpath.
 * @packageDocumentation
 */
export { Btf, type BtfParseOptions } from './btf.js';
export { BtfBuilder, type BuildOptions, type MemberSpec } from './builder.js';
export { type DumpCOptions, dumpC } from './c-dump.js';
export {
  BtfError,
  StructOpsDataError,
  type StructOpsDataRule,
  type StructOpsMemberRule,
  StructOpsMembersError,
  StructOpsRuleError,
} from './errors.js';
export {
  type BtfExt,
  type BtfExtLayout,
  type BtfExtSpan,
  btfExtLayout,
  type CoreRelo,
  CoreReloKind,
  type CoreReloKindName,
  type ExtSection,
  type FuncInfo,
  type LineInfo,
  parseBtfExt,
} from './ext.js';
export { type FieldLocation, type FieldPathOptions, fieldPath } from './field-path.js';
export { BTF_HEADER_SIZE, BTF_MAGIC, type BtfHeader, parseHeader } from './header.js';
export * from './kinds.js';
export {
  alignOf,
  isPacked,
  isQualifier,
  type MemberLayout,
  memberBits,
  membersOf,
  POINTER_SIZE,
  type ResolveOptions,
  resolveType,
  sizeOf,
  type TypeSource,
} from './layout.js';
export { isPlainChar } from './plain-char.js';
export { checkStructOpsData, isKernelObjectName } from './struct-ops-data.js';
export {
  STRUCT_OPS_VALUE_PREFIX,
  type StructOpsLayout,
  type StructOpsMemberLayout,
  structOpsLayout,
} from './struct-ops-layout.js';
export { checkStructOpsMembers } from './struct-ops-members.js';
export { type DataMemberRule, type StructOpsRules, structOpsRules } from './struct-ops-rules.js';
export { StringTable, type WriteOptions, writeBtf } from './writer.js';
