/** The errno table is a kernel fact of `@ts-ebpf/uapi`; re-exported for this package's modules. */
export { ERRNO_NAMES, Errno, errnoName } from '@ts-ebpf/uapi';
