import { type Btf, resolveType } from '@ts-ebpf/btf';
import { callKfunc, type Instruction } from '@ts-ebpf/dsl';
import { KfuncError } from './errors.js';

/** A kernel function as BTF describes it. */
export interface KfuncInfo {
  /** Its name. */
  readonly name: string;
  /** Its BTF id in vmlinux BTF (the call's `imm`). */
  readonly btfId: number;
  /** How many arguments it takes (in R1–R5). */
  readonly argCount: number;
  /** True when it returns a value (in R0). */
  readonly returnsValue: boolean;
}

/**
 * The kernel function `name` in `btf` (vmlinux BTF of the kernel the program runs on).
 * @throws KfuncError naming it when the BTF has no such function
 */
export function kfunc(btf: Btf, name: string): KfuncInfo {
  const id = btf.findIds(name, 'func')[0];
  if (id === undefined) throw new KfuncError(name, 'this kernel BTF has no such function');
  const f = btf.type(id);
  const proto = f.kind === 'func' ? resolveType(btf, f.type) : undefined;
  if (proto?.kind !== 'func_proto') throw new KfuncError(name, 'has no prototype in the BTF');
  return { name, btfId: id, argCount: proto.params.length, returnsValue: proto.returnType !== 0 };
}

/** True when `btf` has the kernel function `name` (`tcp_reno_undo_cwnd` is not in every kernel). */
export function hasKfunc(btf: Btf, name: string): boolean {
  return btf.findIds(name, 'func').length > 0;
}

/**
 * `call <name>`: a kfunc call (arguments in R1–R5 set before; R0 holds the result; R1–R5 are
 * clobbered). The kernel checks that the program type may call it when loading.
 * @throws KfuncError when the BTF lacks it
 */
export function callKernel(btf: Btf, name: string): Instruction {
  return callKfunc(kfunc(btf, name).btfId);
}
