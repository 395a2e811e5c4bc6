import { type Btf, BtfError, fieldPath } from '@ts-ebpf/btf';
import {
  add,
  type BuildOptions,
  call,
  type DslPlugin,
  definePlugin,
  type Fragment,
  type Instruction,
  type JumpTarget,
  jeq,
  ldx,
  mov,
  type PluginProgram,
  PluginSection,
  R1,
  R2,
  R3,
  R6,
  R10,
  type Register,
  type SizeName,
} from '@ts-ebpf/dsl';
import { allowedHelpers, BpfProgType } from '@ts-ebpf/uapi';
import { IterArgumentError, IterFieldError } from './errors.js';
import { checkNullablePointers } from './nullable.js';
import { type IterContext, type IterTarget, iterContext } from './targets.js';

/** The register the iterator plugin's prologue keeps the context in (helper calls clobber R1–R5). */
export const ITER_CTX = R6;

/** Iterator programs return 0 (go on); 1 asks the kernel to show the same object again. */
export const ITER_RETURN_CODES = Object.freeze({ ITER_CONTINUE: 0, ITER_RETRY: 1 } as const);

/** Helper ids of the seq_file output helpers, which only iterator programs may call. */
export const SEQ_HELPERS = Object.freeze({ seq_printf: 126, seq_write: 127, seq_printf_btf: 150 } as const);

/**
 * The helpers an iterator program may call: those of raw tracepoint programs (probed on the
 * kernel, the base the kernel's tracing func_proto falls back to) and the seq_file helpers.
 * A subset: tracing-only helpers (d_path, sk storage …) are not listed.
 */
function iterHelpers(): ReadonlySet<number> {
  const base = allowedHelpers(BpfProgType.RAW_TRACEPOINT) ?? new Set<number>();
  return new Set([...base, ...Object.values(SEQ_HELPERS)]);
}

/** The iterator plugin of one target. */
export type IterPlugin = DslPlugin<IterContext, typeof ITER_RETURN_CODES>;

const SIZE: Record<number, SizeName> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

/**
 * The plugin for iterators of `target` (`iter/<target>` and sleepable `iter.s/<target>`), its
 * context read from `btf` (this kernel's BTF: `kernelBtf()` of `@ts-ebpf/btf/kernel`).
 * @throws IterTargetError for a target that is not one or that `btf` does not describe
 */
export function iterPlugin(btf: Btf, target: IterTarget | string): IterPlugin {
  const context = iterContext(btf, target);
  return definePlugin({
    name: `iter-${target}`,
    sections: [`iter/${target}`, `iter.s/${target}`],
    context,
    returnCodes: ITER_RETURN_CODES,
    helpers: iterHelpers,
    prologue: (): Fragment => [mov(ITER_CTX, R1)],
    templates: {},
  });
}

/** A field read by {@link IterSection.read}: size, signedness and the pointers followed. */
export interface FieldRead {
  /** The instructions. */
  readonly instructions: Instruction[];
  /** Bytes read. */
  readonly size: number;
}

/**
 * An iterator program section: context loads with the nullability rules, BTF-typed field
 * reads, the seq_file pointer, and `build()`, which refuses loads through unchecked pointers.
 */
export class IterSection extends PluginSection<IterContext, typeof ITER_RETURN_CODES> {
  /** The kernel BTF the context and field paths come from. */
  readonly btf: Btf;
  /** The target, e.g. `task`. */
  readonly target: string;

  constructor(btf: Btf, target: IterTarget | string, options: { sleepable?: boolean } = {}) {
    super(iterPlugin(btf, target), `${options.sleepable ? 'iter.s' : 'iter'}/${target}`);
    this.btf = btf;
    this.target = target;
  }

  /** The context layout (`struct bpf_iter__<target>`). */
  get context(): IterContext {
    return this.plugin.context;
  }

  #field(name: string) {
    const f = Object.hasOwn(this.context.fields, name) ? this.context.fields[name] : undefined;
    if (!f)
      throw new IterFieldError(
        name,
        `${this.context.type} has no field '${name}' (fields: ${Object.keys(this.context.fields).join(', ')})`,
      );
    return f;
  }

  /** `dst = ctx->name` (the context is in {@link ITER_CTX} unless `ctx` says otherwise). */
  override load(
    name: keyof IterContext['fields'] & string,
    dst: Register,
    ctx: Register = ITER_CTX,
  ): Instruction {
    return super.load(name, dst, ctx);
  }

  /**
   * `dst = ctx->field; if dst == 0 goto ifNull`: a maybe-NULL pointer loaded and checked at
   * once, so later loads through `dst` pass the verifier. For non-nullable fields, the load.
   */
  loadChecked(field: string, dst: Register, ifNull: JumpTarget, ctx: Register = ITER_CTX): Instruction[] {
    const f = this.#field(field);
    const load = ldx(SIZE[f.size]!, dst, ctx, f.offset);
    return f.nullable ? [load, jeq(dst, 0, ifNull)] : [load];
  }

  /**
   * `dst = ptr-><path>` where `ptr` holds context field `field` (checked): `path` is a C field
   * path in the pointed-to type, e.g. `pid`, `real_parent->tgid`, `f_inode->i_ino`. Each `->`
   * is one more load (PTR_TO_BTF_ID: the kernel reads 0 through a NULL pointer it met on
   * the way). Only 1, 2, 4 or 8-byte fields that are not bitfields; copy others with
   * {@link IterSection.copy}.
   */
  read(dst: Register, ptr: Register, field: string, path: string): Instruction[] {
    const loc = this.#locate(field, path);
    if (loc.bitfield || !SIZE[loc.size])
      throw new IterFieldError(
        `${field}->${path}`,
        `${loc.bitfield ? 'is a bitfield' : `has size ${loc.size}`}: read 1, 2, 4 or 8-byte fields, copy others with copy()`,
      );
    const out: Instruction[] = [];
    let base = ptr;
    for (const off of loc.derefs) {
      out.push(ldx('dw', dst, base, off));
      base = dst;
    }
    out.push(ldx(SIZE[loc.size]!, dst, base, loc.byteOffset));
    return out;
  }

  /**
   * Copies field `ptr-><path>` (any size: `comm`, an address …) to the stack at
   * `r10 + stackOffset` with bpf_probe_read_kernel; clobbers R1–R5 and R0 (its result).
   * Returns the instructions and the size copied.
   */
  copy(stackOffset: number, ptr: Register, field: string, path: string): FieldRead {
    const loc = this.#locate(field, path);
    if (loc.bitfield) throw new IterFieldError(`${field}->${path}`, 'is a bitfield: read it with read()');
    checkStack('stackOffset', stackOffset, loc.size);
    const out: Instruction[] = [mov(R3, ptr)];
    for (const off of loc.derefs) out.push(ldx('dw', R3, R3, off));
    if (loc.byteOffset !== 0) out.push(add(R3, loc.byteOffset));
    out.push(mov(R1, R10), add(R1, stackOffset), mov(R2, loc.size), call('probe_read_kernel'));
    return { instructions: out, size: loc.size };
  }

  /**
   * `dst = &ptr-><path>`: the address of a field (e.g. a name to print with `%s`), following
   * the pointers on the way; no load of the field itself.
   */
  address(dst: Register, ptr: Register, field: string, path: string): Instruction[] {
    const loc = this.#locate(field, path);
    const out: Instruction[] = [mov(dst, ptr)];
    for (const off of loc.derefs) out.push(ldx('dw', dst, dst, off));
    if (loc.byteOffset !== 0) out.push(add(dst, loc.byteOffset));
    return out;
  }

  /** Where `path` leads from the type context field `field` points to. */
  #locate(field: string, path: string) {
    const f = this.#field(field);
    if (f.kind !== 'pointer' || f.typeId === 0)
      throw new IterFieldError(field, `ctx->${field} is not a pointer to a BTF type`);
    const p = /^\s*(->|\.|\[)/.test(path) ? path : `.${path}`;
    try {
      return fieldPath(this.btf, f.typeId, p.startsWith('->') ? `.${p.slice(2)}` : p);
    } catch (e) {
      if (e instanceof BtfError) throw new IterFieldError(`${field}->${path}`, e.message, { cause: e });
      throw e;
    }
  }

  /** `dst = ctx->meta->seq` (the `struct seq_file *` the output helpers write to). */
  seq(dst: Register, ctx: Register = ITER_CTX): Instruction[] {
    const meta = this.#field('meta');
    const seq = fieldPath(this.btf, meta.typeId, '.seq');
    return [ldx('dw', dst, ctx, meta.offset), ldx('dw', dst, dst, seq.byteOffset)];
  }

  /** `dst = ctx->meta->seq_num` (0 for the first object of a walk). */
  seqNum(dst: Register, ctx: Register = ITER_CTX): Instruction[] {
    const meta = this.#field('meta');
    const num = fieldPath(this.btf, meta.typeId, '.seq_num');
    return [ldx('dw', dst, ctx, meta.offset), ldx('dw', dst, dst, num.byteOffset)];
  }

  /** Like `PluginSection.build`, and first refuses loads through unchecked maybe-NULL pointers. */
  override build(body: Fragment, options: BuildOptions = {}): PluginProgram {
    const built = super.build(body, { attachTo: this.target, ...options });
    checkNullablePointers(built.instructions, this.context);
    return built;
  }
}

/** Checks that `[r10 + offset, r10 + offset + size)` lies in the 512-byte stack. */
export function checkStack(argument: string, offset: number, size: number): void {
  if (!Number.isInteger(offset) || offset >= 0 || offset < -512 || offset + size > 0)
    throw new IterArgumentError(
      argument,
      `${offset} with ${size} bytes is not inside the stack (r10 - 512 … r10): give a negative offset with room for the bytes`,
    );
}

/**
 * The iterator section for `target` (`iter/<target>`; `iter.s/<target>` when sleepable), its
 * context from `btf`.
 */
export function iter(
  btf: Btf,
  target: IterTarget | string,
  options: { sleepable?: boolean } = {},
): IterSection {
  return new IterSection(btf, target, options);
}
