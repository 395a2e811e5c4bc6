/**
 * @packageDocumentation
 * `@ts-ebpf/uapi`: the pure root every ts-ebpf package builds on. Facts of the Linux BPF
 * user API, the byte-order source, and {@link EbpfError}, the base class of every error the
 * packages throw. Imports no FFI and no `node:` module: it runs in any JavaScript runtime.
 */

export { type ByteOrder, HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN, isLittleEndian } from './byte-order.js';
export { EbpfError } from './errors.js';
