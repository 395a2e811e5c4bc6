/**
 * @packageDocumentation
 * `@ts-ebpf/syscall`: the raw, per-architecture eBPF system-call layer.
 * The only ts-ebpf package that loads native code (through koffi).
 */

/**
 * Kernel facts code commonly imports from this package, declared once in `@ts-ebpf/uapi`
 * (which has every other constant group) and re-exported here.
 */
export {
  BpfAttachFlag,
  BpfAttachType,
  BpfCmd,
  BpfLinkType,
  BpfMapCreateFlag,
  BpfMapType,
  BpfMapUpdateFlag,
  BpfProgLoadFlag,
  BpfProgType,
  BpfQueryFlag,
  BpfStatsType,
  BpfTestRunFlag,
} from '@ts-ebpf/uapi';
export {
  AF_XDP_LAYOUTS,
  sockaddrXdp,
  XDP_MAX_QUEUE_ID,
  XDP_UMEM_MIN_CHUNK_SIZE,
  type XdpBindOptions,
  type XdpMmapOffsets,
  type XdpRingKind,
  type XdpRingOffsets,
  type XdpStatistics,
  xdpBind,
  xdpMapRing,
  xdpMmapOffsets,
  xdpOptions,
  xdpRingEntrySize,
  xdpSetRingSize,
  xdpSocket,
  xdpStatistics,
  xdpWakeupRx,
  xdpWakeupTx,
} from './af-xdp.js';
export {
  writeXskTxMetadata,
  XSK_TX_METADATA_LAYOUT,
  type XskTxMetadataRequest,
  xskTxMetadataFlags,
  xskTxTimestamp,
} from './af-xdp-tx-metadata.js';
export {
  checkTxMetadataLen,
  XDP_MAX_TX_METADATA_LEN,
  XDP_MIN_TX_METADATA_LEN,
  XdpUmemHeadroomError,
  type XdpUmemRegistration,
  xdpMaxHeadroom,
  xdpUmemRegister,
} from './af-xdp-umem.js';
export {
  SUPPORTED_ARCHITECTURES,
  type SyscallName,
  type SyscallTable,
  syscallTable,
} from './arch.js';
export {
  iterCreate,
  type LinkCreateAttr,
  linkCreate,
  linkDetach,
  linkUpdate,
  type ProgAttachAttr,
  type ProgQueryAttr,
  type ProgQueryResult,
  progAttach,
  progDetach,
  progQuery,
  rawTracepointOpen,
} from './attach-commands.js';
export { bpfCommandName, bpfSyscall } from './bpf.js';
export {
  BPFFS_PATH,
  ensureBpffs,
  ensureTracefs,
  getPinned,
  pinObject,
  TRACEFS_PATH,
  unpin,
} from './bpffs.js';
export { type ClosesLater, closeLater, closeOwned, closeTogether } from './close-together.js';
export { Epoll, EpollEvent, EpollOp, type EpollReady, epollCreate, epollCtl, epollWait } from './epoll.js';
export { ERRNO_NAMES, Errno, errnoName } from './errno.js';
export {
  BadFileDescriptorError,
  BpfArgumentError,
  BpfSyscallError,
  BufferSizeError,
  FdWatchError,
  FfiUnavailableError,
  HelperThreadError,
  InvalidArgumentError,
  NotFoundError,
  ObjectClosedError,
  OutOfBoundsError,
  PermissionError,
  PinPathError,
  type SyscallErrorContext,
  syscallError,
  UnpinError,
  UnsupportedArchitectureError,
  UnsupportedError,
} from './errors.js';
export { close, dupFd, OwnedFd } from './fd.js';
export { describeFdTarget, fdTarget } from './fd-kind.js';
export { ReadableWatch, type ReadableWatchOptions } from './fd-watch.js';
export {
  type FeatureReport,
  features,
  type ProbeResult,
  probeAttachType,
  probeHelper,
  probeMapFlag,
  probeMapType,
  probeProgType,
  progTypeForAttachType,
} from './features.js';
export {
  type InstructionSetVersion,
  type MiscFeatures,
  probeBoundedLoops,
  probeInstructionSet,
  probeLargeInstructions,
} from './features-misc.js';
export { type FeatureTextStyle, formatFeatures } from './features-text.js';
export { sysEventfd as eventfd } from './ffi/events.js';
export {
  FsconfigCmd,
  sysFsconfig as fsconfig,
  sysFsmount as fsmount,
  sysFsopen as fsopen,
  sysPidfdGetfd as pidfdGetfd,
} from './ffi/mounts.js';
export { addressOf } from './ffi/pointers.js';
export {
  sysGetpid as getpid,
  sysGettid as gettid,
  sysMemfdCreate as memfdCreate,
  sysPidfdOpen as pidfdOpen,
  sysSetns as setns,
} from './ffi/process.js';
export {
  sysBind as bind,
  sysConnect as connect,
  sysGetsockname as getsockname,
  sysGetsockopt as getsockopt,
  sysRecvfrom as recvfrom,
  sysSendto as sendto,
  sysSetsockopt as setsockopt,
  sysSocket as socket,
} from './ffi/sockets.js';
export {
  AT_FDCWD,
  fileOpen,
  fileRead,
  fileReadAll,
  fileReadInto,
  fileWrite,
  fileWriteAll,
  O,
  type OpenFlags,
} from './files.js';
export { checkThreads, MAX_THREADS, startHelperThreads, stopHelperThreads } from './helper-threads.js';
export {
  type BtfInfo,
  btfInfo,
  type InfoBufferField,
  type InfoBufferResult,
  infoBuffer,
  type LinkInfo,
  linkInfo,
  type MapInfo,
  mapInfo,
  type ProgInfo,
  progInfo,
} from './info.js';
export { IocDir, type IocLayout, ioc, iocLayout, ioctl, PerfIoctl } from './ioctl.js';
export {
  KALLSYMS_PATH,
  KallsymsError,
  type KernelSymbol,
  KernelSymbolTable,
  kernelSymbolExists,
} from './kallsyms.js';
export {
  type MapBatchAttr,
  type MapBatchResult,
  mapDeleteBatch,
  mapLookupAndDeleteBatch,
  mapLookupBatch,
  mapUpdateBatch,
} from './map-batch.js';
export {
  type MapCreateAttr,
  mapCreate,
  mapDeleteElem,
  mapFreeze,
  mapGetNextKey,
  mapLookupAndDeleteElem,
  mapLookupElem,
  mapUpdateElem,
  progBindMap,
} from './map-commands.js';
export { MapElemChannel } from './map-elem-channel.js';
export { MapFlag, type MapOptions, MappedMemory, Prot, pageSize, ReadOnlyBytes } from './memory.js';
export {
  btfGetFdById,
  btfGetNextId,
  enableStats,
  linkGetFdById,
  linkGetNextId,
  mapGetFdById,
  mapGetNextId,
  objGet,
  objGetInfoByFd,
  objPin,
  progGetFdById,
  progGetNextId,
} from './object-commands.js';
export { objectIds, openEachObject } from './object-walk.js';
export {
  encodePerfEventAttr,
  type PerfEventAttr,
  PerfFlag,
  PerfHwConfig,
  PerfRecord,
  PerfSample,
  PerfSwConfig,
  PerfType,
  perfEventOpen,
} from './perf-event.js';
export { type PinPlace, pinPlace, undoPin } from './pin-place.js';
export { type ProbeCapability, ProbePermissionError } from './probe-permission.js';
export {
  type BtfLoadAttr,
  btfLoad,
  decodeLog,
  type ProgLoadAttr,
  progLoad,
  progLoadAsync,
  progLoadParallel,
  progLoadParallelAsync,
} from './prog-load.js';
export { sockaddrIn, sockaddrInPort } from './sockaddr.js';
export { syscallWrapperPrefix } from './syscall-wrapper.js';
export {
  Capability,
  type CapabilityName,
  effectiveCapabilities,
  hasCapability,
  type KernelVersion,
  kernelAtLeast,
  kernelVersion,
  missingCapabilities,
  onlineCpus,
  onlineNumaNodes,
  possibleCpuCount,
  possibleCpus,
} from './system.js';
export { type ProgTestRunAttr, type ProgTestRunResult, progTestRun } from './test-run.js';
export { BpfToken, BpfTokenError, type BpfTokenInfo } from './token.js';
export { inInitialUserNamespace } from './userns.js';
export { checkObjectName, isObjectName } from './validate.js';
export { checkLogLevel, isVerifierLogLevel, VerifierLogLevel } from './verifier-log-level.js';
