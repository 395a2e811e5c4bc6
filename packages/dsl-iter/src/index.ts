/**
 * @ts-ebpf/dsl-iter: BPF iterators in pure TypeScript, on the plugin API of `@ts-ebpf/dsl` —
 * iterator targets with their contexts read from kernel BTF, loads that respect the
 * verifier's nullable pointers, BTF-typed field reads, the seq_file output helpers, link
 * parameters, record layouts and readers, and templates. No FFI and no `node:` module; loading
 * and running iterators is the `@ts-ebpf/dsl-iter/kernel` subpath.
 * @packageDocumentation
 */
export {
  IterArgumentError,
  IterFieldError,
  IterTargetError,
  SeqFormatError,
  UncheckedPointerError,
} from './errors.js';
export {
  type CgroupIterOrderName,
  checkIterParameters,
  ITER_LINK_INFO_SIZE,
  type IterParameters,
  iterLinkInfo,
} from './link-info.js';
export { checkNullablePointers } from './nullable.js';
export {
  checkStack,
  type FieldRead,
  ITER_CTX,
  ITER_RETURN_CODES,
  type IterPlugin,
  IterSection,
  iter,
  iterPlugin,
  SEQ_HELPERS,
} from './plugin.js';
export { type Chunks, textLines, typedRecords } from './read.js';
export { type RecordFieldType, RecordLayout, type RecordOf, type RecordValue, record } from './record.js';
export {
  BtfPrintFlag,
  type FormatArg,
  formatArgs,
  SEQ_PRINTF_MAX_ARGS,
  type SeqPrintfBtfOptions,
  type SeqPrintfOptions,
  seqPrintf,
  seqPrintfBtf,
  seqWrite,
} from './seq.js';
export {
  btfIterTargets,
  checkTargetName,
  ITER_TARGETS,
  type IterContext,
  type IterField,
  type IterTarget,
  iterContext,
  MAP_ELEMENT_TARGETS,
} from './targets.js';
export {
  mapEntriesDump,
  openFilesDump,
  type RecordIterator,
  TASK_RECORD,
  TCP_STATES,
  taskDump,
  tcpSocketTable,
} from './templates.js';
