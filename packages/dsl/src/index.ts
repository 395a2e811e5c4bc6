/**
 * @ts-ebpf/dsl: a pure-TypeScript BPF assembler, disassembler and text assembler with a
 * plugin API per program type. No FFI and no Node-only API: it runs in any JS runtime.
 * @packageDocumentation
 */
export { type AssembleOptions, assemble, type MapResolver } from './assemble.js';
export {
  add,
  add32,
  and,
  and32,
  arsh,
  arsh32,
  be,
  bswap,
  div,
  div32,
  le,
  lsh,
  lsh32,
  mod,
  mod32,
  mov,
  mov32,
  movsx,
  movsx32,
  mul,
  mul32,
  neg,
  neg32,
  type Operand,
  or,
  or32,
  rsh,
  rsh32,
  sdiv,
  sdiv32,
  smod,
  smod32,
  sub,
  sub32,
  xor,
  xor32,
} from './builders/alu.js';
export { type AtomicOpName, atomic, cmpxchg, loadAcquire, storeRelease, xchg } from './builders/atomic.js';
export {
  call,
  callKfunc,
  callLocal,
  exit,
  gotol,
  type JumpTarget,
  ja,
  jeq,
  jeq32,
  jge,
  jge32,
  jgt,
  jgt32,
  jle,
  jle32,
  jlt,
  jlt32,
  jne,
  jne32,
  jset,
  jset32,
  jsge,
  jsge32,
  jsgt,
  jsgt32,
  jsle,
  jsle32,
  jslt,
  jslt32,
} from './builders/jump.js';
export {
  imm64Value,
  ldBtfId,
  ldFunc,
  ldImm64,
  ldMapFd,
  ldMapIdx,
  ldMapIdxValue,
  ldMapValue,
  type MapRef,
} from './builders/ldimm64.js';
export { ldAbs, ldInd, ldx, ldxs, type SizeName, st, stx } from './builders/memory.js';
export {
  type CompareOp,
  type Condition,
  cond,
  cond32,
  forLoop,
  ifElse,
  jumpIf,
  whileLoop,
} from './control.js';
export { type DisassembleOptions, disassemble } from './disassemble.js';
export { AssemblyError, DisassemblyError, ParseError, TemplateError } from './errors.js';
export { format, formatInstruction, formatInstructionWithHelperName } from './format.js';
export { findHelper, HELPERS, type HelperInfo, helper, nearestHelperName } from './helpers.js';
export {
  type ChosenReturn,
  type Instruction,
  type InstructionFields,
  makeInstruction,
  slotCount,
  withLabel,
} from './instruction.js';
export { KIND_OF, Kind } from './kinds.js';
export { type Fragment, type LabelMarker, mark, program } from './labels.js';
export { listing } from './listing.js';
export {
  AluOp,
  AtomicOp,
  Class,
  JmpOp,
  LD_IMM64,
  Mode,
  PseudoCall,
  PseudoLd,
  SIZE_BYTES,
  SIZE_NAMES,
  Size,
  Source,
} from './opcodes.js';
export { parse } from './parse.js';
export {
  type Access,
  allows,
  type ContextField,
  type ContextLayout,
  type ContextSubject,
  contextField,
  type FieldKind,
  type FieldOptions,
  loadContextField,
  storeContextField,
} from './plugins/context.js';
export {
  ContextAccessError,
  DuplicatePluginError,
  HelperNotAllowedError,
  PluginError,
  PluginSectionError,
  ReturnCodeError,
} from './plugins/errors.js';
export { fragment, freshLabel, type LabelScope, labelScope } from './plugins/fresh-labels.js';
export {
  type BuildOptions,
  checkPluginProgram,
  type DslPlugin,
  definePlugin,
  loadContext,
  type PluginProgram,
  PluginSection,
  type PluginTemplates,
  pluginSection,
  type ReturnCodes,
  type SectionReturns,
  storeContext,
} from './plugins/plugin.js';
export { PluginRegistry } from './plugins/registry.js';
export { choosingReturn, returnCode, returnIfNonZero } from './plugins/returns.js';
export { type ArgumentErrorFactory, setArg } from './plugins/set-arg.js';
export { ProgramType } from './program-types.js';
export {
  FP,
  isRegister,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  R7,
  R8,
  R9,
  R10,
  REGISTERS,
  type Register,
  type RegisterNumber,
  reg,
} from './registers.js';
export { instructionCount, programTag, type TagOptions } from './tag.js';
export { bpf } from './template.js';
export { validateInstruction } from './validate.js';
