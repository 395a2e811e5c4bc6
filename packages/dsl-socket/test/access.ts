import * as d from '@ts-ebpf/dsl';
import { Program } from '@ts-ebpf/programs';
import { BPF_SOCK, type SockPointer } from '../src/index.js';

const SIZES = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' } as const;

/**
 * Whether the running kernel loads a program of `section` made of `body` then `r0 = 0; exit`
 * (the prologue keeps the context in R6; `body` may jump to the label `done`).
 */
export function kernelTakes(section: d.PluginSection, body: d.Fragment): boolean {
  try {
    using _p = Program.load(section.build([body, d.mark('done'), d.mov(d.R0, 0), d.exit()]));
    return true;
  } catch {
    return false;
  }
}

/**
 * Every (section, field, read|write) of `plugin` whose access the DSL and the running kernel's
 * verifier disagree on: a load or store of the field's declared size, with the context in R6.
 * A field the DSL does not let a section write while another field at the same offset and size
 * is writable there (`args[0]` of `bpf_sock_ops`, which is `reply`) is not a disagreement.
 */
export function accessDisagreements(plugin: d.DslPlugin): string[] {
  const out: string[] = [];
  for (const name of plugin.sections) {
    const section = d.pluginSection(plugin, name);
    for (const [field, f] of Object.entries(plugin.context.fields)) {
      for (const op of ['read', 'write'] as const) {
        const insn =
          op === 'read'
            ? d.ldx(SIZES[f.size], d.R2, d.R6, f.offset)
            : d.stx(SIZES[f.size], d.R6, d.R2, f.offset);
        const dsl = d.allows(f[op], name);
        const alias = Object.values(plugin.context.fields).some(
          (g) => g !== f && g.offset === f.offset && g.size === f.size && d.allows(g[op], name),
        );
        if (!dsl && alias) continue;
        if (kernelTakes(section, [d.mov(d.R2, 0), insn]) !== dsl)
          out.push(`${name} ${op} ${field}: DSL ${dsl ? 'allows' : 'refuses'}`);
      }
    }
  }
  return out;
}

/**
 * Every field of `struct bpf_sock` whose read through a `pointer` the DSL ({@link BPF_SOCK})
 * and the running kernel's verifier disagree on: `getSk` leaves the pointer in R2 (jumping to
 * `done` when it is NULL), then a load of the field's declared size.
 */
export function sockDisagreements(
  section: d.PluginSection,
  getSk: d.Fragment,
  pointer: SockPointer,
): string[] {
  const out: string[] = [];
  for (const [field, f] of Object.entries(BPF_SOCK.fields)) {
    const dsl = f.via.includes(pointer);
    if (kernelTakes(section, [getSk, d.ldx(SIZES[f.size], d.R3, d.R2, f.offset)]) !== dsl)
      out.push(`${section.section} ${pointer} ${field}: DSL ${dsl ? 'allows' : 'refuses'}`);
  }
  return out;
}
