import { bpf } from '@ts-ebpf/dsl';
import { describeKernel, hostCode, returns, runTsChild, thrownBy } from '@ts-ebpf/test-utils';
import { AddressFamily, EbpfError, SocketLevel, SocketOption, SocketType } from '@ts-ebpf/uapi';
import { afterEach, expect, it } from 'vitest';
import {
  addressOf,
  BpfArgumentError,
  BpfAttachType,
  BpfMapType,
  BpfMapUpdateFlag,
  BpfProgType,
  BufferSizeError,
  bind,
  close,
  connect,
  dupFd,
  encodePerfEventAttr,
  eventfd,
  fileOpen,
  fileWrite,
  getsockname,
  getsockopt,
  infoBuffer,
  ioctl,
  linkCreate,
  MapFlag,
  MappedMemory,
  mapCreate,
  mapDeleteBatch,
  mapDeleteElem,
  mapGetNextKey,
  mapLookupAndDeleteBatch,
  mapLookupAndDeleteElem,
  mapLookupBatch,
  mapLookupElem,
  mapUpdateBatch,
  mapUpdateElem,
  memfdCreate,
  OwnedFd,
  objGetInfoByFd,
  Prot,
  perfEventOpen,
  pidfdOpen,
  possibleCpus,
  progLoad,
  progLoadAsync,
  progQuery,
  progTestRun,
  recvfrom,
  sendto,
  setns,
  setsockopt,
  socket,
} from '../src/index.js';
import { detached } from './detached.js';

const open: number[] = [];
afterEach(() => {
  for (const fd of open.splice(0)) close(fd);
});
const keep = (fd: number) => {
  open.push(fd);
  return fd;
};
function hash(keySize = 4, valueSize = 8, type: number = BpfMapType.HASH): number {
  return keep(mapCreate({ mapType: type, keySize, valueSize, maxEntries: 16, mapName: 'checks' }));
}
function refused(act: () => unknown, argument: string, given: number, needed: number): BufferSizeError {
  let err: unknown;
  try {
    act();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BufferSizeError);
  expect(err).toBeInstanceOf(BpfArgumentError);
  expect(err).toBeInstanceOf(EbpfError);
  const e = err as BufferSizeError;
  expect(e.argument).toBe(argument);
  expect(e.given).toBe(given);
  expect(e.needed).toBe(needed);
  expect(e.message).toContain(e.command);
  if (needed > 0) expect(e.message).toContain(`${needed}`);
  return e;
}
const cpus = possibleCpus().length;

describeKernel('the raw layer checks every buffer against the map before the call', () => {
  it('single-element commands: short, empty and detached keys and values', () => {
    const fd = hash(4, 8);
    const key = new Uint8Array(4);
    const value = new Uint8Array(8);
    mapUpdateElem(fd, key, value); // the right sizes work
    for (const [act, argument, given, needed] of [
      [() => mapLookupElem(fd, new Uint8Array(2), value), 'key', 2, 4],
      [() => mapLookupElem(fd, new Uint8Array(0), value), 'key', 0, 4],
      [() => mapLookupElem(fd, null, value), 'key', 0, 4],
      [() => mapLookupElem(fd, key, new Uint8Array(4)), 'value', 4, 8],
      [() => mapLookupElem(fd, key, new Uint8Array(0)), 'value', 0, 8],
      [() => mapLookupElem(fd, key, detached()), 'value', 0, 8],
      [() => mapLookupElem(fd, detached(4), value), 'key', 0, 4],
      [() => mapUpdateElem(fd, key, new Uint8Array(7)), 'value', 7, 8],
      [() => mapUpdateElem(fd, new Uint8Array(3), value), 'key', 3, 4],
      [() => mapUpdateElem(fd, key, detached()), 'value', 0, 8],
      [() => mapDeleteElem(fd, new Uint8Array(1)), 'key', 1, 4],
      [() => mapDeleteElem(fd, detached(4)), 'key', 0, 4],
      [() => mapLookupAndDeleteElem(fd, key, new Uint8Array(1)), 'value', 1, 8],
      [() => mapLookupAndDeleteElem(fd, new Uint8Array(0), value), 'key', 0, 4],
      [() => mapGetNextKey(fd, null, new Uint8Array(2)), 'nextKey', 2, 4],
      [() => mapGetNextKey(fd, new Uint8Array(2), key), 'key', 2, 4],
      [() => mapGetNextKey(fd, null, detached(4)), 'nextKey', 0, 4],
    ] as const) {
      const e = refused(act, argument, given, needed);
      expect(e.message).toMatch(/BPF_MAP_[A-Z_]+/);
      expect(e.message).toContain(`map fd ${fd}`);
    }
    // a subarray at an odd offset of a larger buffer is fine; the process lives on
    const big = new Uint8Array(32);
    expect(mapLookupElem(fd, big.subarray(3, 7), big.subarray(9, 17))).toBe(true);
  });

  it('names the detached buffer as detached', () => {
    const fd = hash();
    const e = refused(() => mapLookupElem(fd, new Uint8Array(4), detached()), 'value', 0, 8);
    expect(e.detached).toBe(true);
    expect(e.message).toContain('detached');
  });

  it('per-CPU maps need a slot per possible CPU; a one-CPU buffer is refused', () => {
    const fd = hash(4, 4, BpfMapType.PERCPU_HASH);
    const key = new Uint8Array(4);
    const full = new Uint8Array(8 * cpus);
    mapUpdateElem(fd, key, full);
    const e = refused(() => mapLookupElem(fd, key, new Uint8Array(4)), 'value', 4, 8 * cpus);
    expect(e.message).toContain(`${cpus} possible CPUs`);
    refused(() => mapLookupElem(fd, key, new Uint8Array(8)), 'value', 8, 8 * cpus);
    refused(() => mapUpdateElem(fd, key, new Uint8Array(8 * cpus - 1)), 'value', 8 * cpus - 1, 8 * cpus);
    const array = keep(
      mapCreate({ mapType: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 12, maxEntries: 2 }),
    );
    refused(() => mapLookupElem(array, key, new Uint8Array(12)), 'value', 12, 16 * cpus);
    expect(mapLookupElem(array, key, new Uint8Array(16 * cpus))).toBe(true);
  });

  it('BPF_F_CPU asks for one CPU slot: only the value size is needed', () => {
    const fd = hash(4, 4, BpfMapType.PERCPU_HASH);
    // Whether this kernel knows the flag or not, a one-slot buffer is not refused as short.
    try {
      mapLookupElem(fd, new Uint8Array(4), new Uint8Array(4), BpfMapUpdateFlag.CPU);
    } catch (e) {
      expect(e).not.toBeInstanceOf(BufferSizeError);
    }
  });

  it('batch commands: count × sizes against every buffer, and the batch positions', () => {
    const fd = hash(4, 8);
    const keys = new Uint8Array(4 * 4);
    const values = new Uint8Array(8 * 4);
    new DataView(keys.buffer).setUint32(4, 1, true);
    expect(
      mapUpdateBatch(fd, { keys: keys.subarray(0, 8), values: values.subarray(0, 16), count: 2 }).count,
    ).toBe(2);
    const outBatch = new Uint8Array(8);
    refused(() => mapLookupBatch(fd, { keys, values, count: 5, outBatch }), 'keys', 16, 20);
    refused(
      () => mapLookupBatch(fd, { keys: new Uint8Array(20), values, count: 5, outBatch }),
      'values',
      32,
      40,
    );
    refused(() => mapLookupBatch(fd, { keys, values, count: 4 }), 'outBatch', 0, 4);
    refused(
      () => mapLookupBatch(fd, { keys, values, count: 4, outBatch: new Uint8Array(2) }),
      'outBatch',
      2,
      4,
    );
    refused(
      () => mapLookupBatch(fd, { keys, values, count: 4, outBatch, inBatch: new Uint8Array(1) }),
      'inBatch',
      1,
      4,
    );
    refused(() => mapLookupBatch(fd, { keys: detached(16), values, count: 4, outBatch }), 'keys', 0, 16);
    refused(
      () => mapLookupAndDeleteBatch(fd, { keys, values: new Uint8Array(0), count: 4, outBatch }),
      'values',
      0,
      32,
    );
    refused(() => mapUpdateBatch(fd, { keys, values: new Uint8Array(31), count: 4 }), 'values', 31, 32);
    refused(() => mapUpdateBatch(fd, { keys, count: 1 }), 'values', 0, 8);
    refused(() => mapDeleteBatch(fd, { keys: new Uint8Array(7), count: 2 }), 'keys', 7, 8);
    const r = mapLookupBatch(fd, { keys, values, count: 4, outBatch });
    expect(r.count).toBe(2);
  });

  it('batch positions of an array map are a key', () => {
    const fd = keep(mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }));
    const keys = new Uint8Array(16);
    const values = new Uint8Array(16);
    refused(
      () => mapLookupBatch(fd, { keys, values, count: 4, outBatch: new Uint8Array(3) }),
      'outBatch',
      3,
      4,
    );
    expect(mapLookupBatch(fd, { keys, values, count: 4, outBatch: new Uint8Array(4) }).count).toBe(4);
  });

  it('per-CPU batch values hold every CPU of every element', () => {
    const fd = keep(mapCreate({ mapType: BpfMapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 }));
    refused(
      () =>
        mapLookupBatch(fd, {
          keys: new Uint8Array(8),
          values: new Uint8Array(16),
          count: 2,
          outBatch: new Uint8Array(4),
        }),
      'values',
      16,
      16 * cpus,
    );
  });

  it('a reused fd number never keeps the sizes of the closed map', () => {
    const a = mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    mapUpdateElem(a, new Uint8Array(4), new Uint8Array(4));
    close(a);
    const b = keep(mapCreate({ mapType: BpfMapType.HASH, keySize: 8, valueSize: 16, maxEntries: 4 }));
    expect(b).toBe(a); // the kernel hands out the lowest free number
    refused(() => mapUpdateElem(b, new Uint8Array(8), new Uint8Array(4)), 'value', 4, 16);
    mapUpdateElem(b, new Uint8Array(8), new Uint8Array(16));
    // through OwnedFd and dupFd as well
    const owned = new OwnedFd(dupFd(b), 'map fd');
    const number = owned.fd;
    mapLookupElem(number, new Uint8Array(8), new Uint8Array(16));
    owned.close();
    const c = keep(mapCreate({ mapType: BpfMapType.HASH, keySize: 2, valueSize: 2, maxEntries: 4 }));
    expect(c).toBe(number);
    expect(mapLookupElem(c, new Uint8Array(2), new Uint8Array(2))).toBe(false);
  });

  it('a fd that is not a map, or not open, is named before the call', () => {
    const prog = keep(progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: returns(0) }));
    expect(() => mapLookupElem(prog, new Uint8Array(4), new Uint8Array(4))).toThrow(
      /fd \d+ is not a BPF map.*bpf-prog/,
    );
    expect(() => mapLookupElem(999_999, new Uint8Array(4), new Uint8Array(4))).toThrow(
      /map fd 999999 is not open/,
    );
  });

  it('obj_get_info refuses an empty or detached info buffer', () => {
    const fd = hash();
    refused(() => objGetInfoByFd(fd, new Uint8Array(0)), 'info', 0, 1);
    expect(refused(() => objGetInfoByFd(fd, detached(88)), 'info', 0, 1).detached).toBe(true);
    expect(objGetInfoByFd(fd, new Uint8Array(8))).toBe(8);
  });

  it('prog load: instructions non-empty, whole, live; fd_array covers what they name', () => {
    const insns = returns(0);
    refused(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: new Uint8Array(0) }), 'insns', 0, 8);
    refused(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: detached(16) }), 'insns', 0, 8);
    expect(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: insns.subarray(0, 12) })).toThrow(
      /insns.*12 bytes is not a whole number of 8-byte instructions/,
    );
    // r1 = map_by_idx(2) ll: the kernel reads fd_array[2]
    const byIdx = hostCode(bpf`r1 = map[idx:2]; r0 = 0; exit`);
    refused(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: byIdx }), 'fdArray', 0, 12);
    refused(
      () => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: byIdx, fdArray: new Int32Array(2) }),
      'fdArray',
      8,
      12,
    );
    // a kfunc call names fd_array[off] only for off > 0 (off 0 is vmlinux's BTF)
    const kfunc = (off: number) => hostCode(bpf`call kfunc#1@${off}; r0 = 0; exit`);
    refused(() => progLoad({ progType: BpfProgType.SCHED_CLS, insns: kfunc(2) }), 'fdArray', 0, 12);
    let vmlinux: unknown;
    try {
      keep(progLoad({ progType: BpfProgType.SCHED_CLS, insns: kfunc(0) }));
    } catch (e) {
      vmlinux = e;
    }
    expect(vmlinux).not.toBeInstanceOf(BufferSizeError); // the kernel's answer, whatever it is
    expect(() =>
      progLoad({
        progType: BpfProgType.SOCKET_FILTER,
        insns,
        funcInfo: new Uint8Array(12),
        funcInfoRecSize: 8,
      }),
    ).toThrow(/funcInfo.*12 bytes is not a whole number of 8-byte records/);
  });

  it('test run: empty output buffers, detached input, and packet programs without a packet', () => {
    const xdp = keep(progLoad({ progType: BpfProgType.XDP, insns: returns(2) }));
    const packet = new Uint8Array(64);
    expect(progTestRun({ progFd: xdp, dataIn: packet, dataOut: new Uint8Array(64) }).retval).toBe(2);
    const big = new Uint8Array(64);
    refused(
      () => progTestRun({ progFd: xdp, dataIn: packet, dataOut: big.subarray(10, 10) }),
      'dataOut',
      0,
      1,
    );
    refused(() => progTestRun({ progFd: xdp, dataIn: packet, ctxOut: new Uint8Array(0) }), 'ctxOut', 0, 1);
    refused(() => progTestRun({ progFd: xdp, dataIn: detached(64) }), 'dataIn', 0, 0);
    const e = refused(() => progTestRun({ progFd: xdp }), 'dataIn', 0, 14);
    expect(e.message).toContain('type xdp');
    refused(() => progTestRun({ progFd: xdp, dataIn: new Uint8Array(13) }), 'dataIn', 13, 14);
    const skb = keep(progLoad({ progType: BpfProgType.SCHED_CLS, insns: returns(0) }));
    expect(() => progTestRun({ progFd: skb, dataIn: new Uint8Array(0) })).toThrow(/type sched_cls/);
  });
});

describeKernel('socket interface ioctls take a whole struct ifreq', () => {
  it('a buffer shorter than 40 bytes is refused (the kernel copied 40 in and out)', () => {
    const fd = keep(socket(AddressFamily.INET, SocketType.DGRAM, 0));
    const SIOCGIFINDEX = 0x8933;
    const whole = new Uint8Array(64);
    whole.set(new TextEncoder().encode('lo'));
    // a 16-byte view: the kernel wrote the ifindex to bytes 16-19, past its end
    refused(() => ioctl(fd, SIOCGIFINDEX, whole.subarray(0, 16)), 'arg', 16, 40);
    expect(whole.subarray(16).every((b) => b === 0)).toBe(true);
    refused(() => ioctl(fd, 0x8910, new Uint8Array(20)), 'arg', 20, 40); // SIOCGIFNAME
    expect(ioctl(fd, SIOCGIFINDEX, whole.subarray(0, 40))).toBe(0);
    expect(new DataView(whole.buffer).getInt32(16, true)).toBeGreaterThan(0);
  });
});

describeKernel('socket calls refuse detached buffers', () => {
  it('recvfrom, getsockopt, sendto and bind name the call and the argument', () => {
    const fd = keep(socket(AddressFamily.INET, SocketType.DGRAM, 0));
    for (const [act, argument] of [
      [() => recvfrom(fd, detached(16)), 'buf'],
      [() => getsockopt(fd, SocketLevel.SOCKET, SocketOption.SNDBUF, detached(4)), 'value'],
      [() => sendto(fd, detached(4)), 'data'],
      [() => bind(fd, detached(16)), 'addr'],
    ] as const) {
      const e = refused(act, argument, 0, argument === 'addr' ? 1 : 0);
      expect(e.detached).toBe(true);
    }
  });
});

/** Checks that `act` threw a BpfArgumentError naming `argument`, before any system call. */
function argumentRefused(act: () => unknown, argument: string): BpfArgumentError {
  const e = thrownBy(act);
  expect(e).toBeInstanceOf(BpfArgumentError);
  expect(e).toBeInstanceOf(EbpfError);
  expect((e as BpfArgumentError).argument).toBe(argument);
  return e as BpfArgumentError;
}

describeKernel('the exported socket and process calls check their numbers before the call', () => {
  it('a fd, flag, level or option that is not an integer of its range is named, never passed on as 0', () => {
    const fd = keep(socket(AddressFamily.INET, SocketType.DGRAM, 0));
    const four = new Uint8Array(4);
    for (const [act, argument] of [
      // koffi turned NaN into 0: a sendto to fd 0 (a socketpair under a test runner) succeeded
      [() => sendto(Number.NaN, four), 'fd'],
      [() => sendto(-1, four), 'fd'],
      [() => sendto(fd, four, 'x' as unknown as number), 'flags'],
      [() => sendto(fd, four, Number.NaN), 'flags'],
      [() => recvfrom(1.5, four), 'fd'],
      [() => recvfrom(fd, four, -1), 'flags'],
      [() => bind(Number.NaN, new Uint8Array(16)), 'fd'],
      [() => connect(Number.NaN, new Uint8Array(16)), 'fd'],
      [() => getsockname(Number.NaN, new Uint8Array(16)), 'fd'],
      // a NaN level was SOL_IP (0): the option set was another than the one asked for
      [() => setsockopt(fd, Number.NaN, SocketOption.SNDBUF, four), 'level'],
      [() => getsockopt(fd, SocketLevel.SOCKET, 1.5, four), 'option'],
      [() => getsockopt('3' as unknown as number, SocketLevel.SOCKET, SocketOption.SNDBUF, four), 'fd'],
      [() => socket(Number.NaN, SocketType.DGRAM, 0), 'domain'],
      [() => socket(AddressFamily.INET, SocketType.DGRAM, -1), 'protocol'],
      [() => eventfd(Number.NaN, 0), 'initval'],
      [() => eventfd(0, 'x' as unknown as number), 'flags'],
      [() => setns(Number.NaN, 0), 'fd'],
      [() => pidfdOpen(Number.NaN), 'pid'],
      [() => pidfdOpen(process.pid, Number.NaN), 'flags'],
      [() => memfdCreate('a\0b', 0), 'name'],
      [() => memfdCreate(5 as unknown as string, 0), 'name'],
      [() => memfdCreate('x'.repeat(250), 0), 'name'],
      [() => memfdCreate('x', Number.NaN), 'flags'],
      // NaN was fd 0: the path was looked up relative to whatever stdin is
      [() => fileOpen('x', 0, 0o644, Number.NaN), 'dirfd'],
    ] as const) {
      argumentRefused(act, argument);
    }
    keep(memfdCreate('x'.repeat(249), 0)); // the longest name memfd_create takes
  });
});

describeKernel('map commands check their flags and the kind of their buffers', () => {
  it('element flags that are not an unsigned 64-bit integer are named, never truncated or thrown as RangeError', () => {
    const fd = hash(4, 8);
    const key = new Uint8Array(4);
    const value = new Uint8Array(8);
    for (const flags of [Number.NaN, 1.5, -1, 2 ** 64, 'x' as unknown as number, -1n]) {
      argumentRefused(() => mapLookupElem(fd, key, value, flags), 'flags');
      argumentRefused(() => mapUpdateElem(fd, key, value, flags), 'flags');
    }
    // a refused flag leaves nothing behind: the next call with flags 0 works
    mapUpdateElem(fd, key, value);
    expect(mapLookupElem(fd, key, value)).toBe(true);
    argumentRefused(
      () => mapUpdateBatch(fd, { keys: key, values: value, count: 1, elemFlags: Number.NaN }),
      'elemFlags',
    );
    argumentRefused(() => mapUpdateBatch(fd, { keys: key, values: value, count: 1, flags: 0.5 }), 'flags');
  });

  it('a key or value that is not a Uint8Array is named as such', () => {
    const fd = hash(4, 8);
    const value = new Uint8Array(8);
    // a plain array passed the length check and failed as a TypeError reading its buffer
    expect(
      argumentRefused(() => mapLookupElem(fd, [0, 0, 0, 0] as unknown as Uint8Array, value), 'buffer')
        .message,
    ).toContain('Array');
    // an Int32Array of 4 bytes was refused as "given 4 bytes, … needs 4"
    expect(
      argumentRefused(() => mapLookupElem(fd, new Int32Array(1) as unknown as Uint8Array, value), 'key')
        .message,
    ).toContain('expects a Uint8Array, got Int32Array');
    expect(
      argumentRefused(
        () => mapUpdateElem(fd, new Uint8Array(4), new DataView(new ArrayBuffer(8)) as never),
        'value',
      ).message,
    ).toContain('got DataView');
    argumentRefused(() => addressOf(null as unknown as Uint8Array), 'bytes');
  });
});

describeKernel('link, load and query arguments the kernel reads through', () => {
  it('uprobe_multi offsets hold cnt 8-byte offsets; a missing one is named', () => {
    const prog = keep(progLoad({ progType: BpfProgType.KPROBE, insns: returns(0) }));
    const base = { progFd: prog, targetFd: 0, attachType: BpfAttachType.TRACE_UPROBE_MULTI };
    // a Uint8Array's length counts bytes: the kernel read 16 offsets (128 bytes) from 16 bytes
    refused(
      () =>
        linkCreate({
          ...base,
          uprobeMulti: { path: '/proc/self/exe', offsets: new Uint8Array(16) as never },
        }),
      'uprobeMulti.offsets',
      16,
      128,
    );
    refused(
      () => linkCreate({ ...base, uprobeMulti: { path: '/proc/self/exe', offsets: null as never } }),
      'uprobeMulti.offsets',
      0,
      8,
    );
    argumentRefused(
      () =>
        linkCreate({
          progFd: prog,
          targetFd: 0,
          attachType: BpfAttachType.NETFILTER,
          netfilter: { pf: 2, hooknum: 1, priority: Number.NaN },
        }),
      'netfilter.priority',
    );
  });

  it('fd_array is counted in bytes, and a detached one is named', () => {
    // r1 = map_by_idx(2) ll: the kernel reads 12 bytes of fd_array
    const byIdx = hostCode(bpf`r1 = map[idx:2]; r0 = 0; exit`);
    refused(
      () =>
        progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: byIdx, fdArray: new Uint8Array(8) as never }),
      'fdArray',
      8,
      12,
    );
    const gone = new Int32Array(2);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    const e = refused(
      () => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: returns(0), fdArray: gone }),
      'fdArray',
      0,
      0,
    );
    expect(e.detached).toBe(true);
  });

  it('info buffers go only to the kind of object whose info struct has the field', () => {
    const map = hash();
    const prog = keep(progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: returns(0) }));
    // the offsets of a BTF object's name are a map's max_entries and name: the call "worked"
    expect(argumentRefused(() => infoBuffer(map, 'btfName', new Uint8Array(16)), 'fd').message).toMatch(
      /btfName is a field of a BTF object's info, and fd \d+ is a map/,
    );
    argumentRefused(() => infoBuffer(prog, 'btfData', new Uint8Array(16)), 'fd');
    argumentRefused(() => infoBuffer(map, 'progXlatedInsns', new Uint8Array(16)), 'fd');
    argumentRefused(() => infoBuffer(Number.NaN, 'progXlatedInsns', new Uint8Array(16)), 'fd');
    expect(infoBuffer(prog, 'progXlatedInsns', new Uint8Array(16)).byteLength).toBe(16);
  });

  it('prog query room, the perf event attr and the log size are checked', () => {
    argumentRefused(() => progQuery({ targetFd: 0, attachType: 0, maxPrograms: 2 ** 32 - 1 }), 'maxPrograms');
    argumentRefused(() => progQuery({ targetFd: 0, attachType: 0, maxPrograms: 0 }), 'maxPrograms');
    argumentRefused(() => perfEventOpen(null as never), 'attr');
    // 2^32 - 1 allocated 4 GiB for a log the kernel refuses (it takes at most 2^30 - 1 bytes)
    const insns = returns(0);
    argumentRefused(
      () => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns, logLevel: 1, logSize: 2 ** 32 - 1 }),
      'logSize',
    );
    argumentRefused(
      () => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns, logLevel: 1, logSize: 0 }),
      'logSize',
    );
    argumentRefused(() => encodePerfEventAttr(undefined as never), 'attr');
  });
});

describeKernel('mappings every view of which can be read', () => {
  it('refuses PROT_NONE and a file mapping past the end of the file (the read crashed the process)', () => {
    for (const mode of ['prot-none', 'past-file']) {
      const r = runTsChild(new URL('./fixtures/read-mapping.ts', import.meta.url), [mode], 30_000);
      expect({ mode, signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({
        mode,
        signal: null,
        status: 0,
        stderr: '',
      });
      const out = JSON.parse(r.stdout.trim()) as { name: string; argument: string };
      expect(out).toMatchObject({
        name: 'BpfArgumentError',
        argument: mode === 'prot-none' ? 'prot' : 'length',
      });
    }
  });

  it('names a prot, fd or offset that is not an integer of its range', () => {
    const anon = MapFlag.PRIVATE | MapFlag.ANONYMOUS;
    argumentRefused(() => MappedMemory.map({ length: 4096, prot: Number.NaN, flags: anon }), 'prot');
    argumentRefused(() => MappedMemory.map({ length: 4096, prot: Prot.WRITE, flags: anon }), 'prot');
    argumentRefused(() => MappedMemory.map({ length: 4096, prot: Prot.READ, fd: Number.NaN }), 'fd');
    argumentRefused(
      () => MappedMemory.map({ length: 4096, prot: Prot.READ, flags: anon, offset: -4096 }),
      'offset',
    );
    // a file mapping within the file's last page works
    const fd = keep(memfdCreate('within', 0));
    fileWrite(fd, new Uint8Array(10));
    using mem = MappedMemory.map({ length: 4096, prot: Prot.READ, fd });
    expect(mem.length).toBe(4096);
  });
});

describeKernel('async loads work on copies of their buffers', () => {
  it('a log buffer transferred and dropped during the load is never written (the kernel wrote freed memory)', () => {
    for (const mode of ['async', 'parallel']) {
      const r = runTsChild(new URL('./fixtures/async-load-transfer.ts', import.meta.url), [mode], 60_000);
      expect({ mode, signal: r.signal, status: r.status, stdout: r.stdout.trim() }).toEqual({
        mode,
        signal: null,
        status: 0,
        stdout: JSON.stringify({ corrupted: false }),
      });
    }
  });

  it("the log still reaches the caller's log buffer when the load ends", async () => {
    const logBuf = new Uint8Array(65536);
    const insns = returns(0);
    const pending = progLoadAsync({ progType: BpfProgType.SOCKET_FILTER, insns, logBuf, logLevel: 2 });
    const fd = keep(await pending);
    expect(fd).toBeGreaterThan(0);
    expect(new TextDecoder().decode(logBuf.subarray(0, logBuf.indexOf(0)))).toContain('processed');
  });
});
