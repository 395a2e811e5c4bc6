/** Helpers one (program type, expected attach type) pair may call, from the kernel's func_proto tables. */
export interface HelperAccess {
  /** `BpfProgType`. */
  readonly progType: number;
  /** `BpfAttachType` the program was loaded with; absent when loaded without one. */
  readonly attachType?: number;
  /** Helper ids (`BpfFunc`) the verifier accepts, in id order. */
  readonly helpers: readonly number[];
}

/** A pair whose helpers were not probed, and why (e.g. it needs an attach BTF id). */
export interface UnprobedHelperAccess {
  /** `BpfProgType`. */
  readonly progType: number;
  /** `BpfAttachType`, when the pair has one. */
  readonly attachType?: number;
  /** Why the probe could not load programs of this pair. */
  readonly reason: string;
}
