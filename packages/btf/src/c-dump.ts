import type { Btf } from './btf.js';
import { CNames } from './c-names.js';
import { CRenderer } from './c-render.js';
import { BtfError } from './errors.js';

/** Options for {@link dumpC}. */
export interface DumpCOptions {
  /**
   * Wrap the output as bpftool's `vmlinux.h`: a header guard with this name
   * (default `__VMLINUX_H__` for a full dump, none otherwise) and the
   * `preserve_access_index` pragma for CO-RE.
   */
  readonly header?: boolean | string;
}

const EMITTING = 1;
const FWD = 2;
const DONE = 4;
const MAX_DEPTH = 1024;

/** Orders declarations so that the output compiles, emitting each once. */
class CDumper {
  private readonly state: Uint8Array;
  private readonly names: CNames;
  private readonly render: CRenderer;
  readonly out: string[] = [];

  constructor(private readonly btf: Btf) {
    this.state = new Uint8Array(btf.typeCount);
    this.names = new CNames(btf);
    this.render = new CRenderer(btf, this.names);
  }

  /**
   * Declares what using type `id` needs. `complete`: the type must be complete (used by
   * value); `weak`: reached through a pointer, so a cycle may be broken by a forward declaration.
   */
  need(id: number, complete: boolean, weak: boolean, depth = 0): void {
    if (depth > MAX_DEPTH) throw new BtfError(`type ${id} is nested too deeply or cyclic`);
    const t = this.btf.type(id);
    const st = this.state[id]!;
    switch (t.kind) {
      case 'ptr':
        this.need(t.type, false, true, depth + 1);
        return;
      case 'array':
        this.need(t.type, true, weak, depth + 1);
        return;
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
        this.need(t.type, complete, weak, depth + 1);
        return;
      case 'func_proto':
        this.need(t.returnType, false, true, depth + 1);
        for (const p of t.params) this.need(p.type, false, true, depth + 1);
        return;
      case 'fwd':
        if (!(st & (FWD | DONE))) this.forward(id, t.fwdKind);
        return;
      case 'enum':
      case 'enum64':
        if (t.name && !(st & DONE)) {
          this.state[id] = st | DONE;
          this.out.push(`${this.render.enumBody(t, 0)};\n\n`);
        }
        return;
      case 'typedef':
        if (st & EMITTING) throw new BtfError(`typedef ${t.name} (type ${id}) refers to itself`);
        if (!(st & DONE)) {
          this.state[id] = st | EMITTING;
          this.need(t.type, false, weak, depth + 1);
          if (t.name !== '__builtin_va_list') {
            this.out.push(`typedef ${this.render.decl(t.type, this.names.of(id), 0)};\n\n`);
          }
          this.state[id] = (st | DONE) & ~EMITTING;
        }
        if (complete) this.need(t.type, true, weak, depth + 1);
        return;
      case 'struct':
      case 'union': {
        if (st & DONE) return;
        if (!t.name) {
          if (st & EMITTING) {
            if (weak) return;
            throw new BtfError(`anonymous ${t.kind} ${id} contains itself`);
          }
          this.state[id] = EMITTING;
          for (const m of t.members) this.need(m.type, true, weak, depth + 1);
          this.state[id] = DONE;
          return;
        }
        if (!complete || (st & EMITTING && weak)) {
          if (!(st & FWD)) this.forward(id, t.kind);
          return;
        }
        if (st & EMITTING) throw new BtfError(`${t.kind} ${t.name} (type ${id}) contains itself`);
        this.state[id] = st | EMITTING;
        for (const m of t.members) this.need(m.type, true, false, depth + 1);
        this.out.push(`${this.render.composite(t, 0)};\n\n`);
        this.state[id] = (this.state[id]! | DONE) & ~EMITTING;
        return;
      }
      case 'func':
        this.need(t.type, false, true, depth + 1);
        return;
      case 'var':
        this.need(t.type, true, false, depth + 1);
        return;
      case 'datasec':
        for (const v of t.vars) this.need(v.type, true, false, depth + 1);
        return;
      default:
        return;
    }
  }

  private forward(id: number, kind: 'struct' | 'union'): void {
    this.state[id] = this.state[id]! | FWD;
    this.out.push(`${kind} ${this.names.of(id)};\n\n`);
  }

  /** Emits every type as bpftool does for a whole file. */
  all(): void {
    const referenced = new Uint8Array(this.btf.typeCount);
    for (let id = 1; id < this.btf.typeCount; id++) {
      const t = this.btf.type(id);
      if ('type' in t) referenced[t.type] = 1;
      if (t.kind === 'struct' || t.kind === 'union') for (const m of t.members) referenced[m.type] = 1;
      if (t.kind === 'func_proto') {
        referenced[t.returnType] = 1;
        for (const p of t.params) referenced[p.type] = 1;
      }
      if (t.kind === 'datasec') for (const v of t.vars) referenced[v.type] = 1;
      if (t.kind === 'array') referenced[t.indexType] = 1;
    }
    for (let id = 1; id < this.btf.typeCount; id++) {
      const t = this.btf.type(id);
      if ((t.kind === 'enum' || t.kind === 'enum64') && !t.name && !referenced[id]) {
        this.out.push(`${this.render.enumBody(t, 0)};\n\n`);
      } else if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'typedef' || t.kind === 'enum') {
        if (t.name) this.need(id, true, false);
      } else if (t.kind === 'enum64' || t.kind === 'fwd') this.need(id, true, false);
    }
  }
}

const PRAGMA_PUSH =
  '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n';
const PRAGMA_POP = '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n';

/**
 * Prints types as C, like `bpftool btf dump file … format c`: forward declarations
 * and definitions ordered so that the result compiles. Without `ids` every type is
 * printed (a `vmlinux.h`); with `ids`, those types and what they depend on (for a
 * func, var or datasec: the types it uses; functions and variables themselves are not printed).
 * @throws BtfError for corrupt BTF or type cycles C cannot express
 */
export function dumpC(btf: Btf, ids?: readonly number[], options: DumpCOptions = {}): string {
  const d = new CDumper(btf);
  if (ids === undefined) d.all();
  else for (const id of ids) d.need(id, true, false);
  const header = options.header ?? ids === undefined;
  if (!header) return d.out.join('');
  const guard = typeof header === 'string' ? header : '__VMLINUX_H__';
  return `#ifndef ${guard}\n#define ${guard}\n\n${PRAGMA_PUSH}${d.out.join('')}${PRAGMA_POP}#endif /* ${guard} */\n`;
}
