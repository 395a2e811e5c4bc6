/**
 * How the generator names the facts of data/bpf-uapi.json in TypeScript: which grouped object
 * each enum and each set of `#define`s becomes, and which prefix its keys drop. Naming only:
 * every value comes from the data file.
 */

/** One grouped object of the generated API. */
export interface Group {
  /** The exported object's name, e.g. `BpfMapType`. */
  readonly ts: string;
  /** What the group is, for its TSDoc. */
  readonly doc: string;
  /** Prefixes stripped from member names to make keys; the first that matches is used. */
  readonly prefixes: readonly string[];
}

/** An enum of the data file (by C name, or by anchor for an anonymous enum) and its object. */
export interface EnumGroup extends Group {
  /** `enum <name>` or, for anonymous enums, the first member. */
  readonly key: string;
}

/** A set of `#define`s (or enum members) grouped under one object. */
export interface DefineGroup extends Group {
  /** The C names of the members, in order; each must be a define or an enum member of the data. */
  readonly members: readonly string[];
}

const e = (key: string, ts: string, doc: string, ...prefixes: string[]): EnumGroup => ({
  key,
  ts,
  doc,
  prefixes,
});

/** Every enum of the data file and the object it becomes. */
export const ENUM_GROUPS: readonly EnumGroup[] = [
  e('bpf_cmd', 'BpfCmd', 'Commands of the `bpf(2)` system call (`enum bpf_cmd`).', 'BPF_'),
  e('bpf_map_type', 'BpfMapType', 'Map types (`enum bpf_map_type`).', 'BPF_MAP_TYPE_'),
  e('bpf_prog_type', 'BpfProgType', 'Program types (`enum bpf_prog_type`).', 'BPF_PROG_TYPE_'),
  e('bpf_attach_type', 'BpfAttachType', 'Attach types (`enum bpf_attach_type`).', 'BPF_'),
  e('bpf_link_type', 'BpfLinkType', 'Link types (`enum bpf_link_type`).', 'BPF_LINK_TYPE_'),
  e('bpf_func_id', 'BpfFunc', 'Helper function ids (`enum bpf_func_id`), keyed by helper name.', 'BPF_FUNC_'),
  e(
    'bpf_stats_type',
    'BpfStatsType',
    'Statistics `BPF_ENABLE_STATS` turns on (`enum bpf_stats_type`).',
    'BPF_STATS_',
  ),
  e(
    'bpf_perf_event_type',
    'BpfPerfEventType',
    'Kinds of perf_event link (`enum bpf_perf_event_type`).',
    'BPF_PERF_EVENT_',
  ),
  e(
    'bpf_task_fd_type',
    'BpfTaskFdType',
    'What `BPF_TASK_FD_QUERY` found (`enum bpf_task_fd_type`).',
    'BPF_FD_TYPE_',
  ),
  e(
    'bpf_cgroup_iter_order',
    'BpfCgroupIterOrder',
    'Walk orders of cgroup iterators (`enum bpf_cgroup_iter_order`).',
    'BPF_CGROUP_ITER_',
  ),
  e(
    'bpf_core_relo_kind',
    'BpfCoreReloKind',
    'CO-RE relocation kinds (`enum bpf_core_relo_kind`).',
    'BPF_CORE_',
  ),
  e(
    'bpf_dynptr_type',
    'BpfDynptrType',
    'Dynamic pointer kinds (`enum bpf_dynptr_type`).',
    'BPF_DYNPTR_TYPE_',
  ),
  e(
    'bpf_ret_code',
    'BpfRetCode',
    'Return codes of lwt and flow dissector programs (`enum bpf_ret_code`).',
    'BPF_',
  ),
  e(
    'bpf_adj_room_mode',
    'BpfAdjRoomMode',
    'Modes of `bpf_skb_adjust_room` (`enum bpf_adj_room_mode`).',
    'BPF_ADJ_ROOM_',
  ),
  e(
    'bpf_hdr_start_off',
    'BpfHdrStartOff',
    'Start offsets of `bpf_skb_load_bytes_relative`.',
    'BPF_HDR_START_',
  ),
  e(
    'bpf_lwt_encap_mode',
    'BpfLwtEncapMode',
    'Modes of `bpf_lwt_push_encap` (`enum bpf_lwt_encap_mode`).',
    'BPF_LWT_ENCAP_',
  ),
  e('xdp_action', 'XdpAction', 'Return codes of XDP programs (`enum xdp_action`).', 'XDP_'),
  e(
    'sk_action',
    'SkAction',
    'Return codes of sk_skb, sk_msg and sk_lookup programs (`enum sk_action`).',
    'SK_',
  ),
  e(
    'tcx_action_base',
    'TcxAction',
    'Return codes of tc programs on the tcx hook (`enum tcx_action_base`), the values of their `TC_ACT_*` counterparts: `NEXT` runs the next tcx program (after the last, the classic tc filters), `PASS` passes the packet, `DROP` drops it, `REDIRECT` follows a redirect helper. Any other value ends the tcx chain and is then taken as `NEXT`.',
    'TCX_',
  ),
  e('BPF_ANY', 'BpfMapUpdateFlag', 'Flags of map update and lookup commands.', 'BPF_F_', 'BPF_'),
  e('BPF_F_NO_PREALLOC', 'BpfMapCreateFlag', 'Flags of `BPF_MAP_CREATE` (`map_flags`).', 'BPF_F_'),
  e('BPF_F_UPROBE_MULTI_RETURN', 'BpfUprobeMultiFlag', 'Flags of uprobe_multi links.', 'BPF_F_UPROBE_MULTI_'),
  e('BPF_F_KPROBE_MULTI_RETURN', 'BpfKprobeMultiFlag', 'Flags of kprobe_multi links.', 'BPF_F_KPROBE_MULTI_'),
  e('BPF_F_INDEX_MASK', 'BpfPerfEventOutputFlag', 'Flags of `bpf_perf_event_output` and friends.', 'BPF_F_'),
  e('BPF_RB_NO_WAKEUP', 'BpfRingbufFlag', 'Flags of `bpf_ringbuf_output` and `_submit`.', 'BPF_RB_'),
  e('BPF_RB_AVAIL_DATA', 'BpfRingbufQuery', 'What `bpf_ringbuf_query` reports.', 'BPF_RB_'),
  e(
    'BPF_RINGBUF_BUSY_BIT',
    'BpfRingbufHeader',
    'Bits and size of a ring buffer record header.',
    'BPF_RINGBUF_',
  ),
  e(
    'BPF_LOCAL_STORAGE_GET_F_CREATE',
    'BpfLocalStorageFlag',
    'Flags of the local-storage get helpers.',
    'BPF_',
  ),
  e('BPF_F_INGRESS', 'BpfRedirectFlag', 'Flags of the redirect helpers.', 'BPF_F_'),
  e('BPF_F_SKIP_FIELD_MASK', 'BpfStackIdFlag', 'Flags of `bpf_get_stackid` and `bpf_get_stack`.', 'BPF_F_'),
  e('BPF_F_RECOMPUTE_CSUM', 'BpfSkbStoreFlag', 'Flags of `bpf_skb_store_bytes`.', 'BPF_F_'),
  e(
    'BPF_F_PSEUDO_HDR',
    'BpfCsumReplaceFlag',
    'Flags of `bpf_l3_csum_replace` and `bpf_l4_csum_replace`.',
    'BPF_F_',
  ),
  e('BPF_F_ADJ_ROOM_FIXED_GSO', 'BpfAdjRoomFlag', 'Flags of `bpf_skb_adjust_room`.', 'BPF_F_ADJ_ROOM_'),
  e(
    'BPF_SK_LOOKUP_F_REPLACE',
    'BpfSkLookupFlag',
    'Flags of `bpf_sk_assign` in sk_lookup programs.',
    'BPF_SK_LOOKUP_F_',
  ),
  e('BPF_FIB_LOOKUP_DIRECT', 'BpfFibLookupFlag', 'Flags of `bpf_fib_lookup`.', 'BPF_FIB_LOOKUP_'),
  e('BPF_FIB_LKUP_RET_SUCCESS', 'BpfFibLookupResult', 'Results of `bpf_fib_lookup`.', 'BPF_FIB_LKUP_RET_'),
  e('BPF_F_TIMER_ABS', 'BpfTimerFlag', 'Flags of `bpf_timer_start`.', 'BPF_F_TIMER_'),
  e('BPF_TASK_ITER_ALL_PROCS', 'BpfTaskIterType', 'What a task iterator walks.', 'BPF_TASK_ITER_'),
  e('BPF_CSUM_LEVEL_QUERY', 'BpfCsumLevel', 'Operations of `bpf_csum_level`.', 'BPF_CSUM_LEVEL_'),
  e('BPF_SOCK_OPS_VOID', 'BpfSockOpsOp', 'The `op` of a sock_ops program.', 'BPF_SOCK_OPS_'),
  e(
    'BPF_SOCK_OPS_RTO_CB_FLAG',
    'BpfSockOpsCbFlag',
    'Callbacks a sock_ops program turns on.',
    'BPF_SOCK_OPS_',
  ),
  e('BPF_TCP_ESTABLISHED', 'BpfTcpState', 'TCP states as BPF programs see them.', 'BPF_TCP_'),
];

const d = (ts: string, doc: string, prefixes: string[], members: string[]): DefineGroup => ({
  ts,
  doc,
  prefixes,
  members,
});

/** Every `#define` of the data file, in the object it becomes. */
export const DEFINE_GROUPS: readonly DefineGroup[] = [
  d(
    'BpfInsnClass',
    'Instruction classes: the low three bits of an opcode.',
    ['BPF_'],
    ['BPF_LD', 'BPF_LDX', 'BPF_ST', 'BPF_STX', 'BPF_ALU', 'BPF_JMP', 'BPF_JMP32', 'BPF_ALU64'],
  ),
  d(
    'CbpfInsnClass',
    'Classic BPF instruction classes that eBPF reuses for JMP32 and ALU64.',
    ['BPF_'],
    ['BPF_RET', 'BPF_MISC'],
  ),
  d(
    'BpfInsnSize',
    'Access sizes of loads and stores (bits 3–4 of the opcode).',
    ['BPF_'],
    ['BPF_W', 'BPF_H', 'BPF_B', 'BPF_DW'],
  ),
  d(
    'BpfInsnMode',
    'Addressing modes of loads and stores (bits 5–7 of the opcode).',
    ['BPF_'],
    ['BPF_IMM', 'BPF_ABS', 'BPF_IND', 'BPF_MEM', 'BPF_MEMSX', 'BPF_ATOMIC', 'BPF_XADD'],
  ),
  d('CbpfInsnMode', 'Classic BPF addressing modes.', ['BPF_'], ['BPF_LEN', 'BPF_MSH']),
  d(
    'BpfInsnSource',
    'Source operand bit of arithmetic and jump opcodes: immediate (K) or register (X).',
    ['BPF_'],
    ['BPF_K', 'BPF_X'],
  ),
  d(
    'BpfAluOp',
    'Arithmetic operations (bits 4–7 of an ALU or ALU64 opcode).',
    ['BPF_'],
    [
      'BPF_ADD',
      'BPF_SUB',
      'BPF_MUL',
      'BPF_DIV',
      'BPF_OR',
      'BPF_AND',
      'BPF_LSH',
      'BPF_RSH',
      'BPF_NEG',
      'BPF_MOD',
      'BPF_XOR',
      'BPF_MOV',
      'BPF_ARSH',
      'BPF_END',
    ],
  ),
  d(
    'BpfEndian',
    'Byte-swap directions of `BPF_END` (in the source bit).',
    ['BPF_'],
    ['BPF_TO_LE', 'BPF_TO_BE', 'BPF_FROM_LE', 'BPF_FROM_BE'],
  ),
  d(
    'BpfJmpOp',
    'Jump operations (bits 4–7 of a JMP or JMP32 opcode).',
    ['BPF_'],
    [
      'BPF_JA',
      'BPF_JEQ',
      'BPF_JGT',
      'BPF_JGE',
      'BPF_JSET',
      'BPF_JNE',
      'BPF_JSGT',
      'BPF_JSGE',
      'BPF_CALL',
      'BPF_EXIT',
      'BPF_JLT',
      'BPF_JLE',
      'BPF_JSLT',
      'BPF_JSLE',
      'BPF_JCOND',
    ],
  ),
  d(
    'BpfAtomicOp',
    'Operations of `BPF_ATOMIC` instructions, carried in the immediate.',
    ['BPF_'],
    [
      'BPF_ADD',
      'BPF_OR',
      'BPF_AND',
      'BPF_XOR',
      'BPF_FETCH',
      'BPF_XCHG',
      'BPF_CMPXCHG',
      'BPF_LOAD_ACQ',
      'BPF_STORE_REL',
    ],
  ),
  d(
    'BpfPseudoLd',
    '`src_reg` values of `ld_imm64` that give its immediate a meaning.',
    ['BPF_PSEUDO_'],
    [
      'BPF_PSEUDO_MAP_FD',
      'BPF_PSEUDO_MAP_VALUE',
      'BPF_PSEUDO_BTF_ID',
      'BPF_PSEUDO_FUNC',
      'BPF_PSEUDO_MAP_IDX',
      'BPF_PSEUDO_MAP_IDX_VALUE',
    ],
  ),
  d(
    'BpfPseudoCall',
    '`src_reg` values of a call: a BPF-to-BPF call or a kfunc.',
    ['BPF_PSEUDO_'],
    ['BPF_PSEUDO_CALL', 'BPF_PSEUDO_KFUNC_CALL'],
  ),
  d(
    'BpfProgLoadFlag',
    'Flags of `BPF_PROG_LOAD` (`prog_flags`).',
    ['BPF_F_'],
    [
      'BPF_F_STRICT_ALIGNMENT',
      'BPF_F_ANY_ALIGNMENT',
      'BPF_F_TEST_RND_HI32',
      'BPF_F_TEST_STATE_FREQ',
      'BPF_F_SLEEPABLE',
      'BPF_F_XDP_HAS_FRAGS',
      'BPF_F_XDP_DEV_BOUND_ONLY',
      'BPF_F_TEST_REG_INVARIANTS',
    ],
  ),
  d(
    'BpfAttachFlag',
    'Flags of `BPF_PROG_ATTACH` and of mprog (tcx, netkit) links.',
    ['BPF_F_'],
    [
      'BPF_F_ALLOW_OVERRIDE',
      'BPF_F_ALLOW_MULTI',
      'BPF_F_REPLACE',
      'BPF_F_BEFORE',
      'BPF_F_AFTER',
      'BPF_F_ID',
      'BPF_F_LINK',
      'BPF_F_PREORDER',
    ],
  ),
  d('BpfQueryFlag', 'Flags of `BPF_PROG_QUERY`.', ['BPF_F_'], ['BPF_F_QUERY_EFFECTIVE']),
  d(
    'BpfTestRunFlag',
    'Flags of `BPF_PROG_TEST_RUN`.',
    ['BPF_F_TEST_', 'BPF_F_'],
    ['BPF_F_TEST_RUN_ON_CPU', 'BPF_F_TEST_XDP_LIVE_FRAMES', 'BPF_F_TEST_SKB_CHECKSUM_COMPLETE'],
  ),
  d('BpfNetfilterFlag', 'Flags of netfilter links.', ['BPF_F_NETFILTER_'], ['BPF_F_NETFILTER_IP_DEFRAG']),
  d(
    'BpfLimit',
    'Sizes and limits of the user API.',
    ['BPF_'],
    ['BPF_OBJ_NAME_LEN', 'BPF_TAG_SIZE', 'BPF_BUILD_ID_SIZE', 'BPF_MAXINSNS', 'XDP_PACKET_HEADROOM'],
  ),
  d('AfXdp', 'The AF_XDP socket family and its socket option level.', [], ['AF_XDP', 'SOL_XDP']),
  d(
    'XdpSockopt',
    'Socket options of AF_XDP sockets (level `SOL_XDP`).',
    ['XDP_'],
    [
      'XDP_MMAP_OFFSETS',
      'XDP_RX_RING',
      'XDP_TX_RING',
      'XDP_UMEM_REG',
      'XDP_UMEM_FILL_RING',
      'XDP_UMEM_COMPLETION_RING',
      'XDP_STATISTICS',
      'XDP_OPTIONS',
    ],
  ),
  d(
    'XdpBindFlag',
    'Flags of `struct sockaddr_xdp` (`sxdp_flags`) when binding an AF_XDP socket.',
    ['XDP_'],
    ['XDP_SHARED_UMEM', 'XDP_COPY', 'XDP_ZEROCOPY', 'XDP_USE_NEED_WAKEUP', 'XDP_USE_SG'],
  ),
  d(
    'XdpUmemFlag',
    'Flags of `struct xdp_umem_reg` (UMEM registration).',
    ['XDP_UMEM_'],
    ['XDP_UMEM_UNALIGNED_CHUNK_FLAG', 'XDP_UMEM_TX_SW_CSUM', 'XDP_UMEM_TX_METADATA_LEN'],
  ),
  d(
    'XdpRingFlag',
    'Flags an AF_XDP ring publishes in its `flags` word.',
    ['XDP_RING_'],
    ['XDP_RING_NEED_WAKEUP'],
  ),
  d(
    'XdpOptionFlag',
    'Flags of `struct xdp_options` (`XDP_OPTIONS`).',
    ['XDP_OPTIONS_'],
    ['XDP_OPTIONS_ZEROCOPY'],
  ),
  d(
    'XdpRingPgoff',
    'mmap offsets of the four AF_XDP rings.',
    ['XDP_UMEM_PGOFF_', 'XDP_PGOFF_'],
    ['XDP_PGOFF_RX_RING', 'XDP_PGOFF_TX_RING', 'XDP_UMEM_PGOFF_FILL_RING', 'XDP_UMEM_PGOFF_COMPLETION_RING'],
  ),
  d(
    'XdpDescOption',
    'Bits of `struct xdp_desc` `options`: `PKT_CONTD`, the packet goes on in the next descriptor; `TX_METADATA`, a TX descriptor whose frame has a `struct xsk_tx_metadata` in the `tx_metadata_len` bytes before its address.',
    ['XDP_'],
    ['XDP_PKT_CONTD', 'XDP_TX_METADATA'],
  ),
  d(
    'XdpTxMetadataFlag',
    'Flags of `struct xsk_tx_metadata` (`flags`): the offloads a TX frame asks for. `TIMESTAMP`: the transmit time is written to `completion.tx_timestamp` when the frame completes; `CHECKSUM`: the L4 checksum from `request.csum_start` to the end is stored at `csum_start + csum_offset`; `LAUNCH_TIME`: the device sends the frame at `request.launch_time` (its PTP clock).',
    ['XDP_TXMD_FLAGS_'],
    ['XDP_TXMD_FLAGS_TIMESTAMP', 'XDP_TXMD_FLAGS_CHECKSUM', 'XDP_TXMD_FLAGS_LAUNCH_TIME'],
  ),
  d(
    'NetdevXskFlag',
    'The AF_XDP TX metadata offloads a device acts on in zero-copy mode (`enum netdev_xsk_flags`, the `xsk-features` of the `netdev` generic netlink family): `TX_TIMESTAMP` for `XdpTxMetadataFlag.TIMESTAMP`, `TX_CHECKSUM` for `CHECKSUM`, `TX_LAUNCH_TIME_FIFO` for `LAUNCH_TIME`.',
    ['NETDEV_XSK_FLAGS_'],
    ['NETDEV_XSK_FLAGS_TX_TIMESTAMP', 'NETDEV_XSK_FLAGS_TX_CHECKSUM', 'NETDEV_XSK_FLAGS_TX_LAUNCH_TIME_FIFO'],
  ),
  d(
    'NetdevXdpAct',
    'The XDP features of a device (`enum netdev_xdp_act`, the `xdp-features` of the `netdev` generic netlink family): `BASIC` the actions every XDP driver has (XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX); `REDIRECT` XDP_REDIRECT from the device; `NDO_XMIT` the device takes frames redirected to it (`ndo_xdp_xmit`); `XSK_ZEROCOPY` AF_XDP zero-copy; `HW_OFFLOAD` programs offloaded to the device; `RX_SG` and `NDO_XMIT_SG` multi-buffer (fragmented) frames received, and redirected to it.',
    ['NETDEV_XDP_ACT_'],
    [
      'NETDEV_XDP_ACT_BASIC',
      'NETDEV_XDP_ACT_REDIRECT',
      'NETDEV_XDP_ACT_NDO_XMIT',
      'NETDEV_XDP_ACT_XSK_ZEROCOPY',
      'NETDEV_XDP_ACT_HW_OFFLOAD',
      'NETDEV_XDP_ACT_RX_SG',
      'NETDEV_XDP_ACT_NDO_XMIT_SG',
    ],
  ),
  d(
    'TcAction',
    'tc actions (`TC_ACT_*`): what a direct-action tc program returns. `OK` passes the packet, `SHOT` drops it, `REDIRECT` follows a redirect helper, `UNSPEC` runs the next program (tcx) or the default; `STOLEN` consumes the packet without counting a drop (classic tc); `RECLASSIFY`, `PIPE`, `QUEUED`, `REPEAT` and `TRAP` are for classic tc actions and hardware. On tcx only `UNSPEC`, `OK`, `SHOT` and `REDIRECT` mean something: any other value, `STOLEN` included, ends the tcx chain and is then taken as `UNSPEC` (the classic tc filters run, and the packet passes when there are none).',
    ['TC_ACT_'],
    [
      'TC_ACT_UNSPEC',
      'TC_ACT_OK',
      'TC_ACT_RECLASSIFY',
      'TC_ACT_SHOT',
      'TC_ACT_PIPE',
      'TC_ACT_STOLEN',
      'TC_ACT_QUEUED',
      'TC_ACT_REPEAT',
      'TC_ACT_REDIRECT',
      'TC_ACT_TRAP',
    ],
  ),
  d(
    'AddressFamily',
    'Socket address families: the first argument of `socket(2)` and `sa_family` of a socket address (`struct sockaddr_in`, `sockaddr_in6`, `sockaddr_un`, `sockaddr_ll`, `sockaddr_nl`). `AF_XDP` is `AfXdp.AF_XDP`.',
    ['AF_'],
    ['AF_UNIX', 'AF_INET', 'AF_NETLINK', 'AF_PACKET', 'AF_INET6'],
  ),
  d(
    'SocketLevel',
    'The `level` of `setsockopt(2)` / `getsockopt(2)`: `SOCKET` for {@link SocketOption}, `TCP` (the same number as `IPPROTO_TCP`) for {@link TcpSocketOption}, `NETLINK` for {@link NetlinkSocketOption}. `SOL_XDP` is `AfXdp.SOL_XDP`.',
    ['SOL_'],
    ['SOL_SOCKET', 'SOL_TCP', 'SOL_NETLINK'],
  ),
  d(
    'SocketOption',
    "Socket options of level `SOL_SOCKET` (`SocketLevel.SOCKET`): `ATTACH_BPF` attaches a socket filter program by fd and `DETACH_BPF` (the same number as `DETACH_FILTER`) removes it; `ATTACH_REUSEPORT_EBPF` attaches an SK_REUSEPORT program to a socket's reuseport group and `DETACH_REUSEPORT_BPF` removes it; `COOKIE` and `NETNS_COOKIE` read the socket's and its network namespace's cookie (u64).",
    ['SO_'],
    [
      'SO_REUSEADDR',
      'SO_TYPE',
      'SO_SNDBUF',
      'SO_RCVBUF',
      'SO_REUSEPORT',
      'SO_ATTACH_FILTER',
      'SO_DETACH_FILTER',
      'SO_DETACH_BPF',
      'SO_MARK',
      'SO_ATTACH_BPF',
      'SO_ATTACH_REUSEPORT_CBPF',
      'SO_ATTACH_REUSEPORT_EBPF',
      'SO_COOKIE',
      'SO_DETACH_REUSEPORT_BPF',
      'SO_NETNS_COOKIE',
    ],
  ),
  d(
    'TcpSocketOption',
    'Socket options of level `SOL_TCP` / `IPPROTO_TCP`: `CONGESTION` selects a congestion control by name (one a struct_ops `tcp_congestion_ops` registered too) or reads it; `INFO` reads `struct tcp_info`.',
    ['TCP_'],
    ['TCP_NODELAY', 'TCP_MAXSEG', 'TCP_INFO', 'TCP_CONGESTION'],
  ),
  d(
    'NetlinkProtocol',
    'Netlink protocols: the third argument of `socket(AF_NETLINK, …)`. `ROUTE` is rtnetlink (links, addresses, tc), `GENERIC` generic netlink (families such as `netdev`).',
    ['NETLINK_'],
    ['NETLINK_ROUTE', 'NETLINK_GENERIC'],
  ),
  d(
    'NetlinkSocketOption',
    "Socket options of level `SOL_NETLINK`: `EXT_ACK` asks for extended acknowledgements (the kernel's error message with an error reply).",
    ['NETLINK_'],
    ['NETLINK_EXT_ACK'],
  ),
  d(
    'MsgFlag',
    "Flags of `send(2)` / `recv(2)` (`sendto`, `recvfrom`): `DONTWAIT` makes one call non-blocking (EAGAIN instead of waiting), `PEEK` leaves the data queued, `TRUNC` returns a datagram's real length even when the buffer was shorter.",
    ['MSG_'],
    ['MSG_PEEK', 'MSG_TRUNC', 'MSG_DONTWAIT'],
  ),
  d(
    'SocketType',
    'Socket types of `socket(2)` (`SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_RAW`), and the flags that may be OR-ed into the type (`SOCK_NONBLOCK`, `SOCK_CLOEXEC`).',
    ['SOCK_'],
    ['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_NONBLOCK', 'SOCK_CLOEXEC'],
  ),
  d(
    'IpProto',
    'IP protocol numbers: the IPv4 `protocol` and IPv6 `nexthdr` fields, including the IPv6 extension headers (`HOPOPTS`, `ROUTING`, `FRAGMENT`, `DSTOPTS`) and `NONE` (no next header).',
    ['IPPROTO_'],
    [
      'IPPROTO_HOPOPTS',
      'IPPROTO_ICMP',
      'IPPROTO_TCP',
      'IPPROTO_UDP',
      'IPPROTO_ROUTING',
      'IPPROTO_FRAGMENT',
      'IPPROTO_ICMPV6',
      'IPPROTO_NONE',
      'IPPROTO_DSTOPTS',
    ],
  ),
];
