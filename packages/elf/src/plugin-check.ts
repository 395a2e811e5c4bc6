import { disassemble, type PluginRegistry } from '@ts-ebpf/dsl';
import { ElfError } from '@ts-ebpf/elf-reader';
import type { CollectionSpec } from './collection-spec.js';

/** Raised when a program of an object breaks the rules of the plugin for its section (a helper its type may not call). */
export class PluginCheckError extends ElfError {
  /** The program (function) name. */
  readonly program: string;
  /** Its section. */
  readonly section: string;

  constructor(program: string, section: string, plugin: string, cause: Error) {
    super(`program '${program}' (section '${section}', plugin '${plugin}'): ${cause.message}`, undefined, {
      cause,
    });
    this.name = 'PluginCheckError';
    this.program = program;
    this.section = section;
  }
}

/**
 * Checks, before anything is loaded, each program (of `only`, when given) whose section a
 * plugin of `plugins` covers: its helper calls must be ones the section may call.
 */
export function checkPlugins(spec: CollectionSpec, plugins: PluginRegistry, only?: readonly string[]): void {
  for (const prog of spec.programs.values()) {
    if (only && !only.includes(prog.name)) continue;
    const target = plugins.forSection(prog.section);
    if (!target) continue;
    // The spec holds little-endian instructions whatever the object's byte order.
    const insns = disassemble(prog.instructions, { byteOrder: 'little', allowInvalid: true });
    try {
      target.checkHelpers(insns);
    } catch (e) {
      throw new PluginCheckError(prog.name, prog.section, target.plugin.name, e as Error);
    }
  }
}
