// The error catalog of @ts-ebpf/syscall: plausible mistakes with the raw layer, each refused with a
// typed error that names its subject, before the call where we can tell, and no fd left open.
import { bpf } from '@ts-ebpf/dsl';
import { catalog, describeKernel, hostCode, returns } from '@ts-ebpf/test-utils';
import {
  BadFileDescriptorError,
  BpfArgumentError,
  BpfMapCreateFlag,
  BpfMapType,
  BpfMapUpdateFlag,
  BpfProgType,
  BpfSyscallError,
  BpfToken,
  BpfTokenError,
  BufferSizeError,
  bpfSyscall,
  btfLoad,
  close,
  ensureBpffs,
  InvalidArgumentError,
  IocDir,
  infoBuffer,
  ioc,
  ioctl,
  MapElemChannel,
  MapFlag,
  MappedMemory,
  mapCreate,
  mapDeleteElem,
  mapFreeze,
  mapGetNextKey,
  mapLookupAndDeleteElem,
  mapLookupBatch,
  mapLookupElem,
  mapUpdateBatch,
  mapUpdateElem,
  NotFoundError,
  OutOfBoundsError,
  objGet,
  objGetInfoByFd,
  objPin,
  PermissionError,
  PinPathError,
  Prot,
  pinObject,
  possibleCpus,
  progLoad,
  progTestRun,
  UnsupportedError,
} from '../src/index.js';
import { detached } from './detached.js';

/** Runs `fn` on a fresh map (closed afterwards). */
function withMap<T>(
  fn: (fd: number) => T,
  type: number = BpfMapType.HASH,
  keySize = 4,
  valueSize = 8,
  maxEntries = 4,
): T {
  const fd = mapCreate({ mapType: type, keySize, valueSize, maxEntries });
  try {
    return fn(fd);
  } finally {
    close(fd);
  }
}
/** Runs `fn` on a fresh program of `type` returning 0 (closed afterwards). */
function withProg<T>(type: number, fn: (fd: number) => T): T {
  const fd = progLoad({ progType: type, insns: returns(0) });
  try {
    return fn(fd);
  } finally {
    close(fd);
  }
}
const k4 = () => new Uint8Array(4);
const v8 = () => new Uint8Array(8);
const cpus = possibleCpus().length;
const tmpPin = `/tmp/ts-ebpf-mistakes-${process.pid}/map`;

describeKernel('@ts-ebpf/syscall error catalog', () => {
  catalog([
    {
      what: 'lookup into a value buffer shorter than the value size',
      act: () => withMap((fd) => mapLookupElem(fd, k4(), new Uint8Array(4))),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_ELEM', 'value', 'given 4 bytes', 'value_size 8', 'needs 8'],
    },
    {
      what: 'lookup with an empty key',
      act: () => withMap((fd) => mapLookupElem(fd, new Uint8Array(0), v8())),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_ELEM', 'invalid key', 'key_size 4'],
    },
    {
      what: 'lookup into a detached value buffer',
      act: () => withMap((fd) => mapLookupElem(fd, k4(), detached())),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_ELEM', 'value', 'detached'],
    },
    {
      what: 'lookup with no key on a map that has keys',
      act: () => withMap((fd) => mapLookupElem(fd, null, v8())),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_ELEM', 'key', 'needs 4'],
    },
    {
      what: 'update with a short key',
      act: () => withMap((fd) => mapUpdateElem(fd, new Uint8Array(2), v8())),
      error: BufferSizeError,
      names: ['BPF_MAP_UPDATE_ELEM', 'key', 'given 2 bytes'],
    },
    {
      what: 'update with a detached value',
      act: () => withMap((fd) => mapUpdateElem(fd, k4(), detached())),
      error: BufferSizeError,
      names: ['BPF_MAP_UPDATE_ELEM', 'value', 'detached'],
    },
    {
      what: 'delete with a short key',
      act: () => withMap((fd) => mapDeleteElem(fd, new Uint8Array(3))),
      error: BufferSizeError,
      names: ['BPF_MAP_DELETE_ELEM', 'key', 'given 3 bytes'],
    },
    {
      what: 'get_next_key into a short buffer',
      act: () => withMap((fd) => mapGetNextKey(fd, null, new Uint8Array(1))),
      error: BufferSizeError,
      names: ['BPF_MAP_GET_NEXT_KEY', 'nextKey', 'needs 4'],
    },
    {
      what: 'lookup_and_delete into an empty value buffer',
      act: () => withMap((fd) => mapLookupAndDeleteElem(fd, k4(), new Uint8Array(0))),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_AND_DELETE_ELEM', 'value', 'given 0 bytes'],
    },
    {
      what: 'a one-CPU value buffer on a per-CPU map',
      act: () => withMap((fd) => mapLookupElem(fd, k4(), new Uint8Array(8)), BpfMapType.PERCPU_ARRAY),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_ELEM', 'per-CPU map', `${cpus} possible CPUs`, `needs ${8 * cpus}`],
    },
    {
      what: 'a batch count larger than the keys buffer holds',
      act: () =>
        withMap((fd) =>
          mapLookupBatch(fd, {
            keys: new Uint8Array(8),
            values: new Uint8Array(64),
            count: 8,
            outBatch: v8(),
          }),
        ),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_BATCH', 'keys', '8 × 4 bytes', 'needs 32'],
    },
    {
      what: 'a batch update with too few values',
      act: () =>
        withMap((fd) =>
          mapUpdateBatch(fd, { keys: new Uint8Array(16), values: new Uint8Array(8), count: 4 }),
        ),
      error: BufferSizeError,
      names: ['BPF_MAP_UPDATE_BATCH', 'values', 'needs 32'],
    },
    {
      what: 'a batch lookup with nowhere for the next position',
      act: () =>
        withMap((fd) =>
          mapLookupBatch(fd, { keys: new Uint8Array(16), values: new Uint8Array(32), count: 4 }),
        ),
      error: BufferSizeError,
      names: ['BPF_MAP_LOOKUP_BATCH', 'outBatch', 'batch position'],
    },
    {
      what: 'an empty info buffer',
      act: () => withMap((fd) => objGetInfoByFd(fd, new Uint8Array(0))),
      error: BufferSizeError,
      names: ['BPF_OBJ_GET_INFO_BY_FD', 'info'],
    },
    {
      what: 'a detached info buffer',
      act: () => withMap((fd) => objGetInfoByFd(fd, detached(88))),
      error: BufferSizeError,
      names: ['BPF_OBJ_GET_INFO_BY_FD', 'detached'],
    },
    {
      what: 'a detached buffer for an info field',
      act: () => withProg(BpfProgType.SOCKET_FILTER, (fd) => infoBuffer(fd, 'progXlatedInsns', detached(8))),
      error: BufferSizeError,
      names: ['BPF_OBJ_GET_INFO_BY_FD', 'progXlatedInsns', 'detached'],
    },
    {
      what: 'a map-id buffer that is not whole 4-byte ids',
      act: () => withProg(BpfProgType.SOCKET_FILTER, (fd) => infoBuffer(fd, 'progMapIds', new Uint8Array(6))),
      error: BpfArgumentError,
      names: ['progMapIds', '6 bytes', '4-byte'],
    },
    {
      what: 'a detached attr to the raw system call',
      act: () => bpfSyscall(0, detached(72)),
      error: BufferSizeError,
      names: ['BPF_MAP_CREATE', 'attr', 'detached'],
    },
    {
      what: 'map commands on an fd that is not open',
      act: () => mapLookupElem(999_999, k4(), v8()),
      error: BadFileDescriptorError,
      names: ['BPF_MAP_LOOKUP_ELEM', 'map fd 999999 is not open'],
    },
    {
      what: 'map commands on a program fd',
      act: () => withProg(BpfProgType.SOCKET_FILTER, (fd) => mapLookupElem(fd, k4(), v8())),
      error: BpfArgumentError,
      names: ['mapFd', 'is not a BPF map', 'bpf-prog'],
    },
    {
      what: 'instructions whose length is not a multiple of 8',
      act: () => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: new Uint8Array(12) }),
      error: BpfArgumentError,
      names: ['BPF_PROG_LOAD', 'insns', '12 bytes', '8-byte instructions'],
    },
    {
      what: 'a verifier log level with a bit the kernel does not take (it answers a bare EINVAL)',
      act: () =>
        progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: hostCode(bpf`r0 = 0; exit`), logLevel: 16 }),
      error: BpfArgumentError,
      names: ['logLevel', '16 is no verifier log level', 'BPF_LOG_FIXED (8)'],
    },
    {
      what: 'BPF_F_TOKEN_FD in the program flags without a token fd (the kernel would take fd 0)',
      act: () =>
        progLoad({
          progType: BpfProgType.SOCKET_FILTER,
          insns: returns(0),
          progFlags: BpfMapCreateFlag.TOKEN_FD,
        }),
      error: BpfArgumentError,
      names: ['progFlags', 'BPF_F_TOKEN_FD (0x10000)', 'no progTokenFd'],
    },
    {
      what: 'a BPF token from a path that is no bpffs root',
      act: () => BpfToken.create('/proc'),
      error: BpfTokenError,
      names: ["'/proc'", 'not the root directory of a bpffs mount'],
      cause: InvalidArgumentError,
    },
    {
      what: 'a BPF token in the initial user namespace (from the host bpffs), where none is needed',
      act: () => BpfToken.create(ensureBpffs()),
      error: BpfTokenError,
      names: ["'/sys/fs/bpf'", 'cannot create a BPF token', 'in the initial user namespace'],
      cause: UnsupportedError,
    },
    {
      what: 'a BTF log level with a bit the kernel does not take',
      act: () => btfLoad({ btf: new Uint8Array(24), logLevel: 99 }),
      error: BpfArgumentError,
      names: ['logLevel', '99 is no verifier log level'],
    },
    {
      what: 'no instructions at all',
      act: () => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: new Uint8Array(0) }),
      error: BufferSizeError,
      names: ['BPF_PROG_LOAD', 'insns', 'given 0 bytes'],
    },
    {
      what: 'an fd_array shorter than the map indexes the instructions name',
      act: () =>
        progLoad({
          progType: BpfProgType.SOCKET_FILTER,
          insns: hostCode(bpf`r1 = map[idx:3]; r0 = 0; exit`),
          fdArray: new Int32Array(1),
        }),
      error: BufferSizeError,
      names: ['BPF_PROG_LOAD', 'fdArray', 'fd_array[3]'],
    },
    {
      what: 'a test run of an XDP program with no packet',
      act: () => withProg(BpfProgType.XDP, (fd) => progTestRun({ progFd: fd })),
      error: BufferSizeError,
      names: ['BPF_PROG_TEST_RUN', 'dataIn', 'type xdp', 'Ethernet header', 'needs 14'],
    },
    {
      what: 'a test run into an empty output buffer',
      act: () =>
        withProg(BpfProgType.SCHED_CLS, (fd) =>
          progTestRun({ progFd: fd, dataIn: new Uint8Array(64), dataOut: new Uint8Array(64).subarray(5, 5) }),
        ),
      error: BufferSizeError,
      names: ['BPF_PROG_TEST_RUN', 'dataOut', 'no limit'],
    },
    {
      what: 'a sized ioctl with a buffer smaller than the request says',
      act: () => ioctl(0, ioc(IocDir.READ, 0x24, 7, 8), new Uint8Array(4)),
      error: BufferSizeError,
      names: ['ioctl(0x80082407)', 'arg', 'needs 8'],
    },
    {
      what: 'pinning outside bpffs',
      act: () => withMap((fd) => objPin(fd, '/tmp/ts-ebpf-not-bpffs')),
      error: PinPathError,
      // The way out for a program (ensureBpffs) and for a shell (the ts-ebpf CLI's user: mount).
      names: [
        'BPF_OBJ_PIN',
        '/tmp/ts-ebpf-not-bpffs',
        "'/tmp' is not on a bpffs mount",
        /\(it is [\w/ ]+\)/,
        'ensureBpffs()',
        'mount -t bpf bpf /sys/fs/bpf',
      ],
    },
    {
      what: 'pinning into a directory that does not exist',
      act: () => withMap((fd) => objPin(fd, `${ensureBpffs()}/no-such-dir-${process.pid}/map`)),
      error: PinPathError,
      names: ['BPF_OBJ_PIN', `no-such-dir-${process.pid}`, 'does not exist'],
    },
    {
      what: 'pinObject on a path outside bpffs (refused before a directory is made)',
      act: () => withMap((fd) => pinObject(fd, tmpPin)),
      error: PinPathError,
      names: [tmpPin, 'not on a bpffs mount'],
    },
    {
      what: 'opening a pin in a directory that does not exist',
      act: () => objGet(`${ensureBpffs()}/no-such-dir-${process.pid}/map`),
      error: PinPathError,
      names: ['BPF_OBJ_GET', `no-such-dir-${process.pid}`, 'does not exist'],
    },
    {
      what: 'opening a pin that does not exist',
      act: () => objGet(`${ensureBpffs()}/ts-ebpf-no-such-pin-${process.pid}`),
      error: NotFoundError,
      names: ['BPF_OBJ_GET', `ts-ebpf-no-such-pin-${process.pid}`, 'nothing is pinned at this path'],
    },
    {
      what: 'adding a key that is present with BPF_NOEXIST',
      act: () =>
        withMap((fd) => {
          mapUpdateElem(fd, k4(), v8());
          mapUpdateElem(fd, k4(), v8(), BpfMapUpdateFlag.NOEXIST);
        }),
      error: BpfSyscallError,
      names: ['BPF_MAP_UPDATE_ELEM', 'EEXIST', 'the key is present (BPF_NOEXIST)'],
    },
    {
      what: 'writing a frozen map',
      act: () =>
        withMap((fd) => {
          mapFreeze(fd);
          mapUpdateElem(fd, k4(), v8());
        }),
      error: PermissionError,
      names: ['BPF_MAP_UPDATE_ELEM', 'EPERM', 'read-only for user space'],
    },
    {
      what: 'adding to a full hash map',
      act: () =>
        withMap(
          (fd) => {
            mapUpdateElem(fd, new Uint8Array([1, 0, 0, 0]), v8());
            mapUpdateElem(fd, new Uint8Array([2, 0, 0, 0]), v8());
          },
          BpfMapType.HASH,
          4,
          8,
          1,
        ),
      error: InvalidArgumentError,
      names: ['BPF_MAP_UPDATE_ELEM', 'E2BIG', 'max_entries'],
    },
    {
      what: 'a command the map type does not support',
      act: () =>
        withMap((fd) => mapGetNextKey(fd, null, new Uint8Array(4)), BpfMapType.BLOOM_FILTER, 0, 4, 8),
      error: UnsupportedError,
      names: ['BPF_MAP_GET_NEXT_KEY', 'does not support'],
    },
    {
      what: 'an element channel used after its fd was closed and reused by another map',
      act: () => {
        const first = mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
        const channel = new MapElemChannel(first);
        close(first);
        return withMap(() => channel.lookup());
      },
      error: BpfArgumentError,
      names: ['mapFd', 'BPF_MAP_LOOKUP_ELEM', 'now refers to another map'],
    },
    {
      what: 'reading mapped memory past its end',
      act: () => {
        using mem = MappedMemory.map({
          length: 4096,
          prot: Prot.READ,
          flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
        });
        return mem.reader().getUint32(4094);
      },
      error: OutOfBoundsError,
      names: ['mapped memory', 'read of 4 bytes at 4094', 'outside its 4096 bytes'],
    },
  ]);
});
