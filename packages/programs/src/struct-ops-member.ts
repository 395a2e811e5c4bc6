import type { StructOpsMemberLayout } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { StructOpsTypeError, type StructOpsValueType, structOpsValueType } from '@ts-ebpf/maps';

/** Where a struct_ops member is: what a program implementing it is loaded with. */
export interface StructOpsMember {
  /** BTF id of the ops struct (`attachBtfId` of the program). */
  readonly attachBtfId: number;
  /** The member's index (`expectedAttachType` of the program). */
  readonly expectedAttachType: number;
  /** Byte offset of the member inside the ops struct. */
  readonly offset: number;
  /** Byte size of the member. */
  readonly size: number;
}

/**
 * A member of an ops struct's layout.
 * @throws StructOpsTypeError naming the struct and the member when it has no such member
 */
export function memberOf(layout: StructOpsValueType, member: string): StructOpsMemberLayout {
  const m = layout.members.find((x) => x.name === member);
  if (!m) {
    const names = layout.members.map((x) => x.name).join(', ');
    throw new StructOpsTypeError(
      layout.type,
      `struct ${layout.type} has no member '${member}' (it has ${names})`,
    );
  }
  return m;
}

/**
 * Looks up a member of a kernel ops struct (`tcp_congestion_ops`, `ssthresh`) in vmlinux BTF.
 * @throws StructOpsTypeError when the kernel has no such struct_ops type or member
 */
export function structOpsMember(structName: string, member: string): StructOpsMember {
  const layout = structOpsValueType(structName, kernelBtf());
  const m = memberOf(layout, member);
  return { attachBtfId: layout.typeId, expectedAttachType: m.index, offset: m.offset, size: m.size };
}
