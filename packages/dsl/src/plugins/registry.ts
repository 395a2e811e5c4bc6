import type { DslPlugin } from './plugin.js';
import { socketFilterPlugin } from './socket-filter.js';

const registry = new Map<number, DslPlugin>([[socketFilterPlugin.programType, socketFilterPlugin]]);

/** Registers a plugin for its program type, replacing any earlier one (built-ins included). */
export function registerPlugin(plugin: DslPlugin): void {
  registry.set(plugin.programType, plugin);
}

/** The plugin registered for a program type, if any. The socket_filter plugin is built in. */
export function getPlugin(programType: number): DslPlugin | undefined {
  return registry.get(programType);
}

/** All registered plugins. */
export function listPlugins(): DslPlugin[] {
  return [...registry.values()];
}
