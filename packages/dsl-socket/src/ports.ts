import { be, type ContextLayout, type Fragment, type Instruction, type Register } from '@ts-ebpf/dsl';
import { SocketArgumentError } from './errors.js';
import { SOCKET_CTX } from './sk-skb.js';

/**
 * A plugin section whose context has the 4-byte `remote_port` and `local_port` of
 * `struct __sk_buff`, `struct sk_msg_md` and `struct bpf_sock_ops`: `skSkb(…)`, `skMsg()`,
 * `sockOps()` (and `socketFilter()`, which may read neither: its `load` refuses them).
 */
export interface PortSection {
  /** The plugin, for its context layout. */
  readonly plugin: { readonly name: string; readonly context: ContextLayout<'remote_port' | 'local_port'> };
  /** A load of a context field, checked against the section's access rules. */
  load(name: 'remote_port' | 'local_port', dst: Register, ctx?: Register): Instruction;
}

/**
 * `dst` = the local or remote port of the socket **in host byte order**, from the context in
 * `ctx` (default {@link SOCKET_CTX}) of a program of `section`. `local_port` is a host-order
 * u32 and is loaded as is. `remote_port` is a u32 whose value the kernel builds from the
 * socket's 16-bit network-order port shifted left by 16 on little-endian hosts (`bpf_ntohl`
 * of it is the port, `bpf_ntohs` gives 0), so it is loaded and converted with `be32`, which
 * is right on either byte order. The load is checked against the section: a socket filter,
 * which may read neither port, gets a `ContextAccessError`; a context whose `remote_port` is
 * not 4 bytes (sk_lookup's is a `__be16`: use `loadPort` of `@ts-ebpf/dsl-sk-lookup`) gets a
 * {@link SocketArgumentError} naming `section`.
 */
export function loadPort(
  section: PortSection,
  which: 'local' | 'remote',
  dst: Register,
  ctx: Register = SOCKET_CTX,
): Fragment {
  const field = section.plugin.context.fields.remote_port;
  if (field?.size !== 4)
    throw new SocketArgumentError(
      'section',
      `plugin '${section.plugin.name}' has no 4-byte remote_port (a struct __sk_buff, sk_msg_md or bpf_sock_ops context)`,
    );
  if (which === 'local') return [section.load('local_port', dst, ctx)];
  if (which === 'remote') return [section.load('remote_port', dst, ctx), be(dst, 32)];
  throw new SocketArgumentError('port', `${JSON.stringify(which)} is not 'local' or 'remote'`);
}
