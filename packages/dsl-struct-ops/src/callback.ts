import {
  exit,
  type Fragment,
  type Instruction,
  ldImm64,
  ldx,
  mov,
  movsx,
  type PluginProgram,
  PluginSection,
  R0,
  type Register,
  type SizeName,
} from '@ts-ebpf/dsl';
import type { CallbackArgument, StructOpsCallback, StructOpsType } from './describe.js';
import { CallbackArgumentError, ReturnWidthError, StructOpsMemberError } from './errors.js';
import { loadKernelField, storeKernelField } from './kernel-field.js';
import { STRUCT_OPS_CTX, structOpsPlugin } from './plugin.js';

const SIZE_NAMES: Readonly<Record<number, SizeName>> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

/** Options of {@link CallbackBuilder.build}. */
export interface CallbackBuildOptions {
  /** Build for the sleepable section `struct_ops.s` (default false). */
  readonly sleepable?: boolean;
}

/**
 * Builds the program implementing one callback member of an ops struct: its arguments loaded at
 * their real widths, fields of the kernel structs they point to (reads from BTF offsets, writes
 * only where the kernel allows them), and returns that fit the member's return type.
 */
export class CallbackBuilder {
  /** The ops type. */
  readonly ops: StructOpsType;
  /** The member implemented. */
  readonly callback: StructOpsCallback;
  /** `<type>.<member>`: the `attachTo` of the built program. */
  readonly subject: string;

  /** @throws StructOpsMemberError when `member` is not a callback of `ops` */
  constructor(ops: StructOpsType, member: string) {
    const cb = ops.callbacks.get(member);
    if (!cb) {
      const what = ops.data.has(member) ? 'is a data member, not a callback' : 'is not a member';
      throw new StructOpsMemberError(
        ops.type,
        member,
        `${what} (callbacks: ${[...ops.callbacks.keys()].join(', ')})`,
      );
    }
    this.ops = ops;
    this.callback = cb;
    this.subject = `${ops.type}.${member}`;
  }

  /**
   * The argument named `which` (or at that index).
   * @throws CallbackArgumentError naming the callback when it has no such argument
   */
  argument(which: string | number): CallbackArgument {
    const { args } = this.callback;
    const found = typeof which === 'number' ? args[which] : args.find((a) => a.name === which);
    if (!found) {
      const names = args.map((a, i) => `${i}: ${a.cType} ${a.name}`).join(', ');
      throw new CallbackArgumentError(
        this.subject,
        `no argument ${JSON.stringify(which)} (it takes ${names || 'none'})`,
      );
    }
    return found;
  }

  /**
   * The kernel struct an argument points to as the verifier sees it: the declared one, or the
   * one the ops type promotes it to (`sock` → `tcp_sock` for TCP congestion control).
   * @throws CallbackArgumentError when the argument is not a pointer to a struct
   */
  argumentStruct(which: string | number): string {
    const a = this.argument(which);
    if (!a.pointee)
      throw new CallbackArgumentError(
        this.subject,
        `argument '${a.name}' (${a.cType}) is not a pointer to a struct`,
      );
    return this.ops.rules.promote[a.pointee] ?? a.pointee;
  }

  /** `dst = argument`: a load of its real width from the context, sign-extended when signed. */
  arg(which: string | number, dst: Register, ctx: Register = STRUCT_OPS_CTX): Instruction[] {
    const a = this.argument(which);
    const out = [ldx(SIZE_NAMES[a.size]!, dst, ctx, a.contextOffset)];
    if (a.signed && a.size < 8) out.push(movsx(dst, dst, (a.size * 8) as 8 | 16 | 32));
    return out;
  }

  /** `dst = ptr->path` for kernel struct `struct` (BTF offsets; bitfields shifted and masked). */
  load(struct: string, path: string, dst: Register, ptr: Register): Instruction[] {
    return loadKernelField(this.ops.btf, struct, path, dst, ptr, this.ops.byteOrder);
  }

  /**
   * `ptr->path = src`, refused (KernelFieldError naming the field) when the kernel does not let
   * this ops type's programs write it.
   */
  store(struct: string, path: string, ptr: Register, src: Register): Instruction {
    return storeKernelField(this.ops, struct, path, ptr, src);
  }

  /**
   * `r0 = value; exit`, `value` checked against the member's return type; no value for a
   * callback returning void.
   * @throws ReturnWidthError naming the callback when the value does not fit (or it returns void)
   */
  ret(value?: number | bigint): Instruction[] {
    const r = this.callback.returns;
    if (r.size === 0) {
      if (value !== undefined) throw new ReturnWidthError(this.subject, `it returns void, ${value} given`);
      return [exit()];
    }
    if (value === undefined) throw new ReturnWidthError(this.subject, `it returns ${r.cType}: give a value`);
    const v = BigInt(value);
    const bits = BigInt(r.size * 8);
    const min = r.signed ? -(1n << (bits - 1n)) : 0n;
    const max = r.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (v < min || v > max)
      throw new ReturnWidthError(
        this.subject,
        `${value} does not fit ${r.cType} (${r.size * 8}-bit ${r.signed ? 'signed' : 'unsigned'})`,
      );
    const set = v >= -(2n ** 31n) && v < 2n ** 31n ? mov(R0, Number(v)) : ldImm64(R0, v);
    return [set, exit()];
  }

  /** The program: the plugin's prologue and `body`, for `Program.load` with `attachTo: '<type>.<member>'`. */
  build(body: Fragment, options: CallbackBuildOptions = {}): PluginProgram {
    if (this.callback.unsupported)
      throw new StructOpsMemberError(
        this.ops.type,
        this.callback.name,
        'the kernel does not take this member from BPF',
      );
    const section = new PluginSection(structOpsPlugin, options.sleepable ? 'struct_ops.s' : 'struct_ops');
    return section.build(body, { attachTo: this.subject });
  }
}

/** A {@link CallbackBuilder} for member `member` of `ops`. */
export function callback(ops: StructOpsType, member: string): CallbackBuilder {
  return new CallbackBuilder(ops, member);
}
