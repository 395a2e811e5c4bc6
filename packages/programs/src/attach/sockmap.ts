import {
  BpfAttachType,
  BpfMapType,
  BpfProgType,
  close,
  dupFd,
  linkCreate,
  mapInfo,
  progAttach,
  progDetach,
  setsockopt,
} from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN, SocketLevel, SocketOption } from '@ts-ebpf/uapi';
import { AttachError } from '../errors.js';
import { holdProgram, Link } from '../link.js';
import { attachTypeLabel, mapTypeLabel } from '../names.js';
import type { Program } from '../program.js';
import { requireAttachTypeFits, SOCKMAP_ATTACH_PROGRAM } from './attach-type-owner.js';
import { isErrno, requireAttachType, requireChoice } from './check.js';
import { requireAttachKind } from './kinds.js';

/** A map given by fd or as an object with an `fd` (a `BpfMap`). */
export type MapTarget = number | { readonly fd: number };

const mapFd = (m: MapTarget) => (typeof m === 'number' ? m : m.fd);

/** Options of {@link attachSockmap}. */
export interface SockmapAttachOptions {
  /**
   * `SK_MSG_VERDICT` (sk_msg programs); `SK_SKB_STREAM_PARSER`, `SK_SKB_STREAM_VERDICT` or
   * `SK_SKB_VERDICT` (sk_skb programs). Default: the program's expected attach type, else
   * SK_MSG_VERDICT / SK_SKB_STREAM_VERDICT by its type.
   */
  readonly attachType?: number;
  /**
   * `'auto'` (default): a bpf_link where the kernel has sockmap links (6.10+), else PROG_ATTACH;
   * or force one. Only a kernel without sockmap links makes `'auto'` fall back.
   */
  readonly via?: 'link' | 'attach' | 'auto';
}

const VIAS: readonly NonNullable<SockmapAttachOptions['via']>[] = ['link', 'attach', 'auto'];

const DEFAULT_ATTACH: ReadonlyMap<number, number> = new Map([
  [BpfProgType.SK_MSG, BpfAttachType.SK_MSG_VERDICT],
  [BpfProgType.SK_SKB, BpfAttachType.SK_SKB_STREAM_VERDICT],
]);

/** Refuses, before the kernel is asked, a map that is no sockmap or sockhash. */
function requireSockMap(fd: number, where: string): void {
  let type: number;
  try {
    type = mapInfo(fd).type;
  } catch (e) {
    throw new AttachError(where, 'the file descriptor is not a BPF map', { cause: e });
  }
  if (type !== BpfMapType.SOCKMAP && type !== BpfMapType.SOCKHASH)
    throw new AttachError(
      where,
      `the map is a ${mapTypeLabel(type)}; sk_msg and sk_skb programs attach to a SOCKMAP or SOCKHASH`,
    );
}

/** The verdict attach type that excludes each (sock_map_prog_link_lookup in net/core/sock_map.c). */
const VERDICT_RIVAL: ReadonlyMap<number, number> = new Map([
  [BpfAttachType.SK_SKB_STREAM_VERDICT, BpfAttachType.SK_SKB_VERDICT],
  [BpfAttachType.SK_SKB_VERDICT, BpfAttachType.SK_SKB_STREAM_VERDICT],
]);

/** Gives the kernel's refusal its cause where the errno tells it. */
function explainSockmapAttach(e: unknown, where: string, attachType: number): unknown {
  if (isErrno(e, 'EBUSY'))
    return new AttachError(
      where,
      `a program is already attached to the map as ${attachTypeLabel(attachType)}${VERDICT_RIVAL.has(attachType) ? ` or ${attachTypeLabel(VERDICT_RIVAL.get(attachType) as number)} (the two verdict types exclude each other)` : ''}: one program per attach type and map; close its link first, or update() it`,
      { cause: e },
    );
  return e;
}

/**
 * Attaches an `sk_msg` or `sk_skb` program to a sockmap or sockhash (a `BpfMap` or its fd;
 * the caller keeps the map open while attached).
 * @throws AttachError for a map that is no sockmap/sockhash, an attach type of the other program
 *   type, or a map that already has a program for that attach type (EBUSY)
 */
export function attachSockmap(program: Program, map: MapTarget, o: SockmapAttachOptions = {}): Link {
  const target = mapFd(map);
  const where = `sockmap fd ${target}`;
  requireAttachKind('sockmap', program, where);
  const attachType = requireAttachType(program, where, o.attachType, DEFAULT_ATTACH.get(program.type));
  requireAttachTypeFits(program, where, attachType, SOCKMAP_ATTACH_PROGRAM);
  const via = requireChoice(o.via ?? 'auto', 'via', VIAS);
  requireSockMap(target, where);
  try {
    if (via !== 'attach') {
      try {
        return new Link({
          kind: 'sockmap',
          fd: linkCreate({ progFd: program.fd, targetFd: target, attachType }),
        });
      } catch (e) {
        // With the map and the types checked, EINVAL is a kernel without sockmap links (< 6.10).
        if (via === 'link' || !isErrno(e, 'EINVAL')) throw e;
      }
    }
  } catch (e) {
    throw explainSockmapAttach(e, where, attachType);
  }
  // The detach goes through the map fd: a reference of our own reaches this map even after the
  // caller closed theirs and the number was reused.
  const heldMap = dupFd(target);
  try {
    progAttach({ targetFd: heldMap, attachBpfFd: program.fd, attachType });
  } catch (e) {
    close(heldMap);
    throw explainSockmapAttach(e, where, attachType);
  }
  const attached = holdProgram(program);
  return new Link({
    kind: 'sockmap-attach',
    extraFds: [heldMap],
    detach: () => {
      try {
        progDetach({ targetFd: heldMap, attachBpfFd: attached.fd, attachType });
      } finally {
        attached.close();
      }
    },
  });
}

/**
 * Attaches a `socket_filter` program to a socket (SO_ATTACH_BPF); closing the Link
 * detaches it (SO_DETACH_BPF). The socket stays the caller's.
 */
export function attachSocketFilter(program: Program, socketFd: number): Link {
  requireAttachKind('socket_filter', program, `socket fd ${socketFd}`);
  const valueStorage = new ArrayBuffer(4);
  const value = new Uint8Array(valueStorage);
  new DataView(valueStorage).setUint32(0, program.fd, HOST_LITTLE_ENDIAN);
  // Our own reference to the socket: detaching works (and touches nothing else)
  // even when the caller has closed theirs and the number was reused.
  const socket = dupFd(socketFd);
  try {
    setsockopt(socket, SocketLevel.SOCKET, SocketOption.ATTACH_BPF, value);
  } catch (e) {
    close(socket);
    throw e;
  }
  return new Link({
    kind: 'socket_filter',
    extraFds: [socket],
    detach: () => setsockopt(socket, SocketLevel.SOCKET, SocketOption.DETACH_BPF, new Uint8Array(4)),
    update: (next) => {
      new DataView(valueStorage).setUint32(0, next.fd, HOST_LITTLE_ENDIAN);
      setsockopt(socket, SocketLevel.SOCKET, SocketOption.ATTACH_BPF, value);
    },
  });
}
