/**
 * @packageDocumentation
 * `@ts-ebpf/uapi`: the pure root every ts-ebpf package builds on. Facts of the Linux BPF
 * user API (commands, map/program/attach/link types, flags, opcodes, helpers, errno, libbpf's
 * section names), generated once from data the repository keeps; the byte-order source; and
 * {@link EbpfError}, the base class of every error the packages throw. Imports no FFI and no
 * `node:` module: it runs in any JavaScript runtime.
 */

export { asciiText } from './ascii.js';
export { BPF_FLOW_KEYS_LAYOUT, type BpfFlowKeysField } from './bpf-flow-keys.js';
export { BPF_SOCK_LAYOUT, type BpfSockField } from './bpf-sock.js';
export {
  type ByteOrder,
  byteOrderMistake,
  HOST_BYTE_ORDER,
  HOST_LITTLE_ENDIAN,
  isLittleEndian,
} from './byte-order.js';
export { describeValue } from './describe-value.js';
export { closestName, editDistance } from './did-you-mean.js';
export { ERRNO_NAMES, Errno, type ErrnoName, errnoName } from './errno.js';
export { EbpfError } from './errors.js';
export * from './generated/defines.generated.js';
export * from './generated/enums.generated.js';
export { HELPER_ACCESS, UNPROBED_HELPER_ACCESS } from './generated/helper-access.generated.js';
export { HELPER_SIGNATURES } from './generated/helpers.generated.js';
export { allowedHelpers, unprobedHelperAccess } from './helper-access.js';
export type { HelperAccess, UnprobedHelperAccess } from './helper-access-types.js';
export type { HelperArg, HelperSignature } from './helper-signature.js';
export { ipv4Text, ipv6Text } from './ip-text.js';
export { isPerCpuMapType } from './map-kinds.js';
export {
  attachTypeByName,
  attachTypeName,
  findHelper,
  helperSignature,
  linkTypeByName,
  linkTypeName,
  mapTypeByName,
  mapTypeName,
  progTypeByName,
  progTypeName,
  UnknownNameError,
} from './names.js';
export {
  type ResolvedSection,
  resolveSection,
  SECTION_DEFS,
  type SectionDef,
  sectionDef,
  sectionNamesOf,
} from './sections.js';
export { SK_BUFF_LAYOUT, type SkBuffField } from './sk-buff.js';
export type { StructField, StructLayout } from './struct-layout.js';
