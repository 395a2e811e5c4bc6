import { readFileSync } from 'node:fs';
import { SymbolType } from '@ts-ebpf/elf-reader';
import { ElfSymbols } from '@ts-ebpf/programs';
import { KernelSymbolTable, syscallWrapperPrefix } from '@ts-ebpf/syscall';
import type { ProgramSpec } from './collection-spec.js';
import { SectionAttachError } from './errors.js';

// Names section targets stand for: the kernel function behind a syscall, the functions a glob
// pattern of a multi-probe section matches.

let kallsyms: KernelSymbolTable | undefined;

/** The running kernel's symbol table (`/proc/kallsyms`, read once). */
function kernelSymbols(): KernelSymbolTable {
  kallsyms ??= KernelSymbolTable.read();
  return kallsyms;
}

/**
 * The kernel function a `ksyscall/<name>` program probes, as libbpf chooses it: the
 * architecture's wrapper `__<arch>_sys_<name>` when the kernel has it (kernels built with
 * syscall wrappers), `sys_<name>` otherwise.
 */
export function syscallFunction(name: string): string {
  const prefix = syscallWrapperPrefix();
  if (prefix && kernelSymbols().has(`${prefix}${name}`)) return `${prefix}${name}`;
  return `sys_${name}`;
}

/** A glob (`*` any run, `?` one character) as a whole-name regular expression. */
function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const isGlob = (pattern: string) => /[*?]/.test(pattern);

/**
 * The kernel functions a `kprobe.multi/<pattern>` section names: the pattern itself, or the
 * functions of `available_filter_functions` a glob matches.
 * @throws SectionAttachError when the list cannot be read or the glob matches nothing
 */
export function kernelFunctionsMatching(pattern: string, spec: ProgramSpec): string[] {
  if (!isGlob(pattern)) return [pattern];
  let text: string;
  try {
    text = readFileSync('/sys/kernel/tracing/available_filter_functions', 'utf8');
  } catch (e) {
    throw new SectionAttachError(
      spec.name,
      spec.section,
      `cannot expand '${pattern}': /sys/kernel/tracing/available_filter_functions is unreadable (${(e as Error).message})`,
    );
  }
  const re = globRegExp(pattern);
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const name = line.split(' ')[0];
    if (name && re.test(name)) names.add(name);
  }
  if (names.size === 0)
    throw new SectionAttachError(spec.name, spec.section, `no kernel function matches '${pattern}'`);
  return [...names];
}

/**
 * The functions of the binary at `path` a `uprobe.multi/<path>:<pattern>` section names: the
 * name itself, or the defined functions a glob matches.
 * @throws SectionAttachError when the glob matches no function of the binary
 */
export function userFunctionsMatching(path: string, pattern: string, spec: ProgramSpec): string[] {
  if (!pattern)
    throw new SectionAttachError(spec.name, spec.section, 'the section name does not say a function');
  if (!isGlob(pattern)) return [pattern];
  const re = globRegExp(pattern);
  const names = new Set(
    ElfSymbols.open(path)
      .symbols.filter((s) => s.address !== 0n && s.type === SymbolType.FUNC && re.test(s.name))
      .map((s) => s.name),
  );
  if (names.size === 0)
    throw new SectionAttachError(spec.name, spec.section, `no function of ${path} matches '${pattern}'`);
  return [...names];
}
