/**
 * @packageDocumentation
 * `@ts-ebpf/gen`: typed TypeScript bindings from a clang-compiled BPF object, the generator
 * behind `ts-ebpf gen` (the analog of bpf2go and libbpf skeletons). {@link generateBindings}
 * turns an object's bytes into a module; {@link genCommand} is the command-line entry.
 */

export {
  defaultName,
  GEN_USAGE,
  type GenArguments,
  genCommand,
  parseGenArguments,
} from './command.js';
export { GenArgumentError, GenError, UnsupportedTypeError } from './errors.js';
export { type GenerateOptions, generateBindings, type ObjectSource } from './generate.js';
