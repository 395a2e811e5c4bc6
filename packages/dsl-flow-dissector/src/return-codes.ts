/**
 * Flow dissector return codes (`enum bpf_ret_code`, linux/bpf.h): BPF_OK (the keys are
 * the flow), BPF_DROP (dissection failed) and BPF_FLOW_DISSECTOR_CONTINUE (let the kernel's
 * own dissector do it).
 */
export const FLOW_DISSECTOR_RETURN_CODES = Object.freeze({
  BPF_OK: 0,
  BPF_DROP: 2,
  BPF_FLOW_DISSECTOR_CONTINUE: 129,
} as const);

/** A flow dissector return code by name. */
export type FlowDissectorReturnName = keyof typeof FLOW_DISSECTOR_RETURN_CODES;
