/**
 * BTF for TypeScript: parse, query, build, serialize, dump as C, parse BTF.ext and load.
 * Everything is pure TypeScript except `loadBtf` and `loadKernelBtf` (Node only).
 * @packageDocumentation
 */
export { Btf, type BtfParseOptions } from './btf.js';
export { BtfBuilder, type BuildOptions, type MemberSpec } from './builder.js';
export { type DumpCOptions, dumpC } from './c-dump.js';
export { BtfError } from './errors.js';
export {
  type BtfExt,
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
export { KERNEL_BTF_DIR, kernelBtf, loadKernelBtf } from './kernel-btf.js';
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
export { type BtfLoadOptions, LoadedBtf, loadBtf, loadBtf as load } from './load.js';
export {
  STRUCT_OPS_VALUE_PREFIX,
  type StructOpsLayout,
  type StructOpsMemberLayout,
  structOpsLayout,
} from './struct-ops-layout.js';
export { StringTable, type WriteOptions, writeBtf } from './writer.js';
