import {
  type Btf,
  BtfError,
  resolveType,
  type StructOpsRules,
  structOpsLayout,
  structOpsRules,
} from '@ts-ebpf/btf';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { cTypeName, type ValueShape, valueShape } from './c-type.js';
import { UnknownStructOpsTypeError } from './errors.js';

/** One argument of a callback, as the program finds it in its `u64` context array. */
export interface CallbackArgument extends ValueShape {
  /** The parameter's name in the prototype (may be empty). */
  readonly name: string;
  /** Its position: the context holds it at `8 * index`. */
  readonly index: number;
  /** Byte offset of a load of `size` bytes that reads it from the context (byte order applied). */
  readonly contextOffset: number;
}

/** A function-pointer member: what a program implementing it receives and returns. */
export interface StructOpsCallback {
  /** Member name (`ssthresh`). */
  readonly name: string;
  /** Member index: the program's `expected_attach_type`. */
  readonly index: number;
  /** Byte offset inside the ops struct. */
  readonly offset: number;
  /** BTF id of the function prototype. */
  readonly protoId: number;
  /** The arguments in order. */
  readonly args: readonly CallbackArgument[];
  /** The return type (`size` 0 for void). */
  readonly returns: ValueShape;
  /** True when the kernel needs this member (alone, or one of a group such as `cong_avoid`/`cong_control`). */
  readonly required: boolean;
  /** True when the kernel refuses this member from BPF. */
  readonly unsupported: boolean;
}

/** A data member (`name`, `flags` …). */
export interface StructOpsDataMember {
  /** Member name. */
  readonly name: string;
  /** Member index. */
  readonly index: number;
  /** Byte offset inside the ops struct. */
  readonly offset: number;
  /** Byte size. */
  readonly size: number;
  /** BTF id of its type. */
  readonly typeId: number;
  /** C spelling of its type (`char[16]`, `u32`). */
  readonly cType: string;
  /** True when the kernel needs it (`tcp_congestion_ops.name`). */
  readonly required: boolean;
}

/**
 * A kernel ops struct as BTF describes it, with the kernel's rules for it: every callback
 * (prototype, arguments at their real widths, return type) and data member. Pure: made from a
 * `Btf` the caller passes in (vmlinux BTF of the kernel the programs will run on).
 */
export interface StructOpsType {
  /** The ops struct (`tcp_congestion_ops`). */
  readonly type: string;
  /** Its BTF id (the programs' `attach_btf_id`). */
  readonly typeId: number;
  /** The BTF it was described from. */
  readonly btf: Btf;
  /** Byte order of the kernel the programs run on (the BTF's). */
  readonly byteOrder: ByteOrder;
  /** Callbacks by name, in member order. */
  readonly callbacks: ReadonlyMap<string, StructOpsCallback>;
  /** Data members by name, in member order. */
  readonly data: ReadonlyMap<string, StructOpsDataMember>;
  /** The kernel's rules for it. */
  readonly rules: StructOpsRules;
}

function isRequired(rules: StructOpsRules, name: string): boolean {
  return rules.required.some((group) => group.includes(name));
}

/**
 * Describes the struct_ops type `type` (`'tcp_congestion_ops'`, `'bpf_dummy_ops'` …) from `btf`.
 * @throws UnknownStructOpsTypeError naming it when the BTF has no such ops struct (or no
 * `struct bpf_struct_ops_<type>`, i.e. the kernel cannot take it from BPF)
 */
export function describeStructOps(btf: Btf, type: string): StructOpsType {
  let layout: ReturnType<typeof structOpsLayout>;
  try {
    layout = structOpsLayout(btf, type);
  } catch (e) {
    if (!(e instanceof BtfError)) throw e;
    throw new UnknownStructOpsTypeError(type, `not a struct_ops type of this BTF (${e.message})`, {
      cause: e,
    });
  }
  const rules = structOpsRules(layout.type);
  const little = btf.byteOrder === 'little';
  const callbacks = new Map<string, StructOpsCallback>();
  const data = new Map<string, StructOpsDataMember>();
  for (const m of layout.members) {
    const required = isRequired(rules, m.name);
    if (!m.funcPointer) {
      data.set(m.name, {
        name: m.name,
        index: m.index,
        offset: m.offset,
        size: m.size,
        typeId: m.typeId,
        cType: cTypeName(btf, m.typeId),
        required,
      });
      continue;
    }
    const ptr = resolveType(btf, m.typeId);
    const protoId = ptr.kind === 'ptr' ? ptr.type : m.typeId;
    const proto = resolveType(btf, protoId);
    if (proto.kind !== 'func_proto') continue;
    const args = proto.params.map((p, index): CallbackArgument => {
      const shape = valueShape(btf, p.type);
      if (!shape || shape.size === 0)
        throw new UnknownStructOpsTypeError(
          layout.type,
          `callback '${m.name}' takes argument ${index} of type ${cTypeName(btf, p.type)}, which does not fit a register`,
        );
      const contextOffset = index * 8 + (little ? 0 : 8 - shape.size);
      const name = p.name || rules.argNames[m.name]?.[index] || '';
      return { ...shape, name, index, contextOffset };
    });
    const returns = valueShape(btf, proto.returnType);
    if (!returns)
      throw new UnknownStructOpsTypeError(
        layout.type,
        `callback '${m.name}' returns ${cTypeName(btf, proto.returnType)}, which does not fit a register`,
      );
    callbacks.set(m.name, {
      name: m.name,
      index: m.index,
      offset: m.offset,
      protoId: proto.id,
      args,
      returns,
      required,
      unsupported: rules.unsupported.includes(m.name),
    });
  }
  return Object.freeze({
    type: layout.type,
    typeId: layout.typeId,
    btf,
    byteOrder: btf.byteOrder,
    callbacks,
    data,
    rules,
  });
}
