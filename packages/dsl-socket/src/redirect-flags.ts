import { BpfRedirectFlag } from '@ts-ebpf/uapi';

/** Options of the sockmap and sockhash redirects. */
export interface SocketRedirectOptions {
  /**
   * Queue the data on the target socket's receive side (BPF_F_INGRESS), as if the socket had
   * received it, instead of sending it out of the target socket (the default).
   */
  readonly ingress?: boolean;
}

/** The flags argument of `bpf_sk_redirect_*` and `bpf_msg_redirect_*`. */
export function redirectFlags(o: SocketRedirectOptions): number {
  return o.ingress ? BpfRedirectFlag.INGRESS : 0;
}
