/**
 * libbpf's SEC() names: one table in `@ts-ebpf/uapi`, shared with the DSL plugins, and
 * re-exported here where the loader has always offered it.
 */
export { type ResolvedSection, resolveSection, SECTION_DEFS, type SectionDef } from '@ts-ebpf/uapi';
