/**
 * `@ts-ebpf/dsl-iter/kernel`: iterators on this machine's kernel (Node only) — which targets
 * it offers, and running an iterator built with `@ts-ebpf/dsl-iter` as a disposable object
 * read as chunks, text lines or typed records. The root entry stays pure.
 * @packageDocumentation
 */
export {
  BpfIterator,
  type IterTargetProbe,
  type LoadIteratorOptions,
  loadIterator,
  probeIterTargets,
} from './run.js';
