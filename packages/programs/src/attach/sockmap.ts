import {
  BpfAttachType,
  BpfProgType,
  BpfSyscallError,
  close,
  dupFd,
  linkCreate,
  progAttach,
  progDetach,
  setsockopt,
} from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { holdProgram, Link } from '../link.js';
import type { Program } from '../program.js';
import { requireAttachType, requireProgramType } from './check.js';

/** A map given by fd or as an object with an `fd` (a `BpfMap`). */
export type MapTarget = number | { readonly fd: number };

const mapFd = (m: MapTarget) => (typeof m === 'number' ? m : m.fd);

/** Options of {@link attachSockmap}. */
export interface SockmapAttachOptions {
  /** `SK_MSG_VERDICT`, `SK_SKB_STREAM_VERDICT`, `SK_SKB_STREAM_PARSER`, `SK_SKB_VERDICT` (default from the program). */
  readonly attachType?: number;
  /** `'auto'` (default): a bpf_link (6.10+), else PROG_ATTACH; or force one. */
  readonly via?: 'link' | 'attach' | 'auto';
}

const SOCKMAP_ATTACH: ReadonlyMap<number, number> = new Map([
  [BpfProgType.SK_MSG, BpfAttachType.SK_MSG_VERDICT],
  [BpfProgType.SK_SKB, BpfAttachType.SK_SKB_STREAM_VERDICT],
]);

/** Attaches an `sk_msg` or `sk_skb` program to a sockmap or sockhash. */
export function attachSockmap(program: Program, map: MapTarget, o: SockmapAttachOptions = {}): Link {
  const target = mapFd(map);
  const where = `sockmap fd ${target}`;
  requireProgramType(program, where, [...SOCKMAP_ATTACH.keys()]);
  const attachType = requireAttachType(program, where, o.attachType, SOCKMAP_ATTACH.get(program.type));
  const via = o.via ?? 'auto';
  if (via !== 'attach') {
    try {
      return new Link({
        kind: 'sockmap',
        fd: linkCreate({ progFd: program.fd, targetFd: target, attachType }),
      });
    } catch (e) {
      if (via === 'link' || !(e instanceof BpfSyscallError) || e.code !== 'EINVAL') throw e;
    }
  }
  progAttach({ targetFd: target, attachBpfFd: program.fd, attachType });
  const attached = holdProgram(program);
  return new Link({
    kind: 'sockmap-attach',
    detach: () => {
      progDetach({ targetFd: target, attachBpfFd: attached.fd, attachType });
      attached.close();
    },
  });
}

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;

/**
 * Attaches a `socket_filter` program to a socket (SO_ATTACH_BPF); closing the Link
 * detaches it (SO_DETACH_BPF). The socket stays the caller's.
 */
export function attachSocketFilter(program: Program, socketFd: number): Link {
  requireProgramType(program, `socket fd ${socketFd}`, [BpfProgType.SOCKET_FILTER]);
  const valueStorage = new ArrayBuffer(4);
  const value = new Uint8Array(valueStorage);
  new DataView(valueStorage).setUint32(0, program.fd, HOST_LITTLE_ENDIAN);
  // Our own reference to the socket: detaching works (and touches nothing else)
  // even when the caller has closed theirs and the number was reused.
  const socket = dupFd(socketFd);
  try {
    setsockopt(socket, SOL_SOCKET, SO_ATTACH_BPF, value);
  } catch (e) {
    close(socket);
    throw e;
  }
  return new Link({
    kind: 'socket_filter',
    extraFds: [socket],
    detach: () => setsockopt(socket, SOL_SOCKET, SO_DETACH_BPF, new Uint8Array(4)),
    update: (next) => {
      new DataView(valueStorage).setUint32(0, next.fd, HOST_LITTLE_ENDIAN);
      setsockopt(socket, SOL_SOCKET, SO_ATTACH_BPF, value);
    },
  });
}
