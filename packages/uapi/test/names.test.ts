import { describe, expect, it } from 'vitest';
import {
  attachTypeByName,
  attachTypeName,
  BpfAttachType,
  BpfFunc,
  BpfInsnClass,
  BpfMapCreateFlag,
  BpfMapType,
  BpfProgType,
  closestName,
  Errno,
  editDistance,
  errnoName,
  findHelper,
  HELPER_SIGNATURES,
  helperSignature,
  linkTypeByName,
  linkTypeName,
  mapTypeByName,
  mapTypeName,
  progTypeByName,
  progTypeName,
  UnknownNameError,
} from '../src/index.js';

describe('grouped kernel facts', () => {
  it('carry the kernel values, including those newer than the build machine header', () => {
    expect(BpfProgType.XDP).toBe(6);
    expect(BpfProgType.NETFILTER).toBe(32);
    expect(BpfMapType.ARENA).toBe(33);
    expect(BpfAttachType.TCX_INGRESS).toBe(46);
    expect(BpfMapCreateFlag.TOKEN_FD).toBe(1 << 16);
    expect(BpfFunc.cgrp_storage_delete).toBe(211);
    expect(BpfInsnClass.ALU64).toBe(7);
  });

  it('are frozen', () => {
    expect(Object.isFrozen(BpfMapType)).toBe(true);
    expect(() => {
      (BpfMapType as Record<string, number>).HASH = 99;
    }).toThrow(TypeError);
  });

  it('have one helper signature per bpf_func_id, ids in order', () => {
    expect(HELPER_SIGNATURES.map((h) => h.id)).toEqual(Array.from({ length: 211 }, (_, i) => i + 1));
    for (const h of HELPER_SIGNATURES) expect(BpfFunc[h.name as keyof typeof BpfFunc]).toBe(h.id);
  });
});

describe('names both ways', () => {
  it('find a value by short, lower-case or C name', () => {
    expect(progTypeByName('XDP')).toBe(BpfProgType.XDP);
    expect(progTypeByName('xdp')).toBe(BpfProgType.XDP);
    expect(progTypeByName('BPF_PROG_TYPE_SK_LOOKUP')).toBe(BpfProgType.SK_LOOKUP);
    expect(mapTypeByName('ringbuf')).toBe(BpfMapType.RINGBUF);
    expect(attachTypeByName('BPF_CGROUP_INET_INGRESS')).toBe(BpfAttachType.CGROUP_INET_INGRESS);
    expect(linkTypeByName('tcx')).toBe(11);
  });

  it('find the name of a value', () => {
    expect(progTypeName(6)).toBe('XDP');
    expect(mapTypeName(1)).toBe('HASH');
    expect(attachTypeName(BpfAttachType.NETFILTER)).toBe('NETFILTER');
    expect(linkTypeName(1)).toBe('RAW_TRACEPOINT');
  });

  it('throw UnknownNameError naming the unknown one, with the nearest name', () => {
    const e = (() => {
      try {
        progTypeByName('XPD');
      } catch (err) {
        return err as UnknownNameError;
      }
    })();
    expect(e).toBeInstanceOf(UnknownNameError);
    expect(e?.message).toBe("unknown program type 'XPD'; did you mean 'XDP'?");
    expect(e?.kind).toBe('program type');
    expect(e?.suggestion).toBe('XDP');
    expect(() => mapTypeName(4242)).toThrow('unknown map type number 4242');
    expect(() => mapTypeByName('completely_unrelated_words')).toThrow(
      /^unknown map type 'completely_unrelated_words'$/,
    );
  });

  it('look helpers up by id, bare name and bpf_ name', () => {
    expect(findHelper('bpf_trace_printk')?.id).toBe(6);
    expect(findHelper(6)?.name).toBe('trace_printk');
    expect(findHelper(9999)).toBeUndefined();
    expect(helperSignature('ktime_get_ns').returns).toBe('u64');
    expect(() => helperSignature('bpf_ringbuf_outptu')).toThrow(/did you mean 'ringbuf_output'/);
  });

  it('closestName leaves out names too far to be misspellings', () => {
    expect(editDistance('xpd', 'xdp')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestName('hahs', ['HASH', 'ARRAY'])).toBe('HASH');
    expect(closestName('zzzzzzzz', ['HASH', 'ARRAY'])).toBeUndefined();
  });

  it('closestName judges the part that differs: a long shared prefix makes no name closer', () => {
    const syscalls = ['sys_enter_mount', 'sys_enter_fsync', 'sys_enter_getpid', 'sys_enter_getppid'];
    // nosuch/mount: 5 edits in 6 letters, though the whole names are 5 edits in 16.
    expect(closestName('sys_enter_nosuch', syscalls)).toBeUndefined();
    expect(closestName('sys_enter_getpdi', syscalls)).toBe('sys_enter_getpid');
    expect(closestName('sys_entre_getppid', syscalls)).toBe('sys_enter_getppid');
    expect(closestName('shced_swtich', ['sched_switch', 'sched_wakeup'])).toBe('sched_switch');
    expect(closestName('lookup_nosuch', ['lookup_elem', 'lookup_and_delete_elem'])).toBeUndefined();
    expect(closestName('lst', ['list', 'show'])).toBe('list');
    // At the same distance, the candidate sharing the longer start.
    expect(closestName('getpid', ['xgetpid', 'getpidx'])).toBe('getpidx');
  });

  it('errno names both ways', () => {
    expect(errnoName(22)).toBe('EINVAL');
    expect(errnoName(524)).toBe('ENOTSUPP');
    expect(errnoName(4000)).toBe('E4000');
    expect(Errno.EPERM).toBe(1);
  });
});
