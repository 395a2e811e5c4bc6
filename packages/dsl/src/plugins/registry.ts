import { resolveSection } from '@ts-ebpf/uapi';
import { DuplicatePluginError } from './errors.js';
import { type DslPlugin, PluginSection } from './plugin.js';

/**
 * A set of plugins, looked up by name or by section. An instance: nothing is registered at
 * import, and two registries never share state. A plugin whose name or one of whose sections
 * is already taken is refused with {@link DuplicatePluginError}.
 */
export class PluginRegistry {
  readonly #byName = new Map<string, DslPlugin>();
  readonly #bySection = new Map<string, DslPlugin>();

  /** A registry holding `plugins`, registered in order. */
  constructor(plugins: readonly DslPlugin[] = []) {
    for (const p of plugins) this.register(p);
  }

  /** Adds `plugin`; refuses a name or a section another plugin has. Returns this registry. */
  register(plugin: DslPlugin): this {
    const sameName = this.#byName.get(plugin.name);
    if (sameName) throw new DuplicatePluginError(plugin.name, sameName.name, 'the name');
    for (const s of plugin.sections) {
      const owner = this.#bySection.get(s);
      if (owner) throw new DuplicatePluginError(plugin.name, owner.name, `section '${s}'`);
    }
    this.#byName.set(plugin.name, plugin);
    for (const s of plugin.sections) this.#bySection.set(s, plugin);
    return this;
  }

  /** The plugin named `name`, if registered. */
  get(name: string): DslPlugin | undefined {
    return this.#byName.get(name);
  }

  /**
   * The plugin section for an ELF section name: the plugin that lists it, or else the one
   * listing the bare section libbpf resolves it to (`xdp/devmap` for `xdp/devmap`,
   * `tp` for `tp/sched/sched_switch`); undefined when no plugin covers it.
   */
  forSection(name: string): PluginSection | undefined {
    const direct = this.#bySection.get(name);
    if (direct) return new PluginSection(direct, name);
    const def = resolveSection(name);
    if (!def) return undefined;
    const bare = def.pattern.endsWith('+') ? def.pattern.slice(0, -1) : def.pattern;
    const owner = this.#bySection.get(bare);
    return owner ? new PluginSection(owner, bare) : undefined;
  }

  /** Every registered plugin, in registration order. */
  list(): DslPlugin[] {
    return [...this.#byName.values()];
  }
}
