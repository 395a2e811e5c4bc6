/**
 * @ts-ebpf/dsl-struct-ops: kernel ops structs (TCP congestion control first) implemented in
 * pure TypeScript. Struct_ops types described from a `Btf` the caller passes in (callbacks with
 * their arguments at real widths and return types, data members), the struct_ops plugin for
 * `@ts-ebpf/dsl`, BTF-typed access to kernel structs with the kernel's write rules, TCP
 * congestion-control kfuncs, constants and building blocks, and templates. No FFI and no
 * Node-only API: loading and registering is the `@ts-ebpf/dsl-struct-ops/kernel` subpath.
 * @packageDocumentation
 */

// The kernel's struct_ops rules live in @ts-ebpf/btf, below this package and @ts-ebpf/elf, which
// both check against them; exported here too for callers of this package.
export { type DataMemberRule, type StructOpsRules, structOpsRules } from '@ts-ebpf/btf';
export { cTypeName, type ValueShape } from './c-type.js';
export { CallbackBuilder, type CallbackBuildOptions, callback } from './callback.js';
export { checkDataValue } from './data.js';
export {
  type CallbackBody,
  defineStructOps,
  type StructOpsData,
  type StructOpsDeclaration,
  type StructOpsDefinition,
} from './define.js';
export {
  type CallbackArgument,
  describeStructOps,
  type StructOpsCallback,
  type StructOpsDataMember,
  type StructOpsType,
} from './describe.js';
export {
  CallbackArgumentError,
  KernelFieldError,
  KfuncError,
  ReturnWidthError,
  StructOpsMemberError,
  UnknownStructOpsTypeError,
} from './errors.js';
export { type KernelField, kernelField, loadKernelField, storeKernelField } from './kernel-field.js';
export { callKernel, hasKfunc, type KfuncInfo, kfunc } from './kfunc.js';
export {
  MAX_CALLBACK_ARGS,
  STRUCT_OPS_ARGS,
  STRUCT_OPS_CTX,
  type StructOpsPlugin,
  structOpsPlugin,
} from './plugin.js';
export {
  aimdSsthresh,
  cwndIncrement,
  setCwnd,
  slowStartCheck,
  socketArg,
  TCP_CC_KFUNCS,
  TCP_SOCK,
  type TcpCaConstants,
  type TcpCcKfunc,
  tcpCaConstants,
  tcpKfunc,
} from './tcp.js';
export {
  countingCc,
  fixedWindowCc,
  kernelRenoCc,
  minimalCc,
  renoCc,
  TCP_CC_TEMPLATES,
} from './templates.js';
