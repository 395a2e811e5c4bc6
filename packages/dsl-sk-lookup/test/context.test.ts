import { readFileSync } from 'node:fs';
import { Btf, type CompositeType } from '@ts-ebpf/btf';
import {
  add,
  ContextAccessError,
  call,
  jeq,
  ldMapFd,
  mark,
  mov,
  R0,
  R1,
  R2,
  R7,
  R10,
  st,
  stx,
} from '@ts-ebpf/dsl';
import { attachNetns, Program } from '@ts-ebpf/programs';
import { BpfMapType, close, mapCreate, mapLookupElem } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { BpfAttachType, BpfProgType, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ipv4Word,
  loadPort,
  SK_LOOKUP,
  SK_LOOKUP_BYTE_ORDER,
  SK_LOOKUP_CTX,
  SkLookupFamily,
  SkLookupProtocol,
  skLookup,
} from '../src/index.js';
import { drain, TestNetns } from './netns.js';

describe('sk_lookup plugin', () => {
  it('covers section sk_lookup with its program and attach type, and saves the context in R6', () => {
    const s = skLookup();
    expect(s.def).toMatchObject({
      progType: BpfProgType.SK_LOOKUP,
      expectedAttachType: BpfAttachType.SK_LOOKUP,
    });
    const built = s.build(s.ret('SK_DROP'));
    expect(built.instructions.map((i) => i.code)).toEqual([0xbf, 0xb7, 0x95]);
    expect(built.instructions[1]!.imm).toBe(0);
  });

  it('refuses stores to the read-only context and loads of fields it does not have', () => {
    expect(() => skLookup().store('local_port', R2, SK_LOOKUP_CTX)).toThrow(ContextAccessError);
    expect(() => skLookup().load('cookie' as 'sk', R2)).toThrow(/has no field 'cookie'/);
  });

  it('documents a byte order for every scalar field', () => {
    const scalars = Object.keys(SK_LOOKUP.fields).filter((n) => n !== 'sk');
    expect(Object.keys(SK_LOOKUP_BYTE_ORDER).sort()).toEqual(scalars.sort());
  });

  it('ipv4Word gives the register value of a network-order field for either byte order', () => {
    expect(ipv4Word('127.0.0.2', 'little')).toBe(0x0200007f);
    expect(ipv4Word('127.0.0.2', 'big')).toBe(0x7f000002);
    expect(ipv4Word('255.0.0.1', 'little')).toBe(0x010000ff);
    expect(ipv4Word('255.0.0.1', 'big')).toBe(0xff000001 | 0);
  });
});

describeKernel('bpf_sk_lookup context against the kernel', () => {
  const ns = new TestNetns('sklc');
  beforeAll(() => {
    ns.create();
  });
  afterAll(() => ns.destroy());

  it('has the layout of the running kernel (BTF)', () => {
    const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
    const ctx = btf.find('bpf_sk_lookup', 'struct') as CompositeType;
    expect(ctx.size).toBe(SK_LOOKUP.size);
    const kernel = new Map(ctx.members.map((m) => [m.name, m.bitOffset / 8]));
    kernel.set('sk', kernel.get('') ?? -1); // the anonymous union of sk and cookie
    for (const [name, field] of Object.entries(SK_LOOKUP.fields)) {
      const [, base, index] = /^(\w+)(?:\[(\d)\])?$/.exec(name)!;
      expect([name, field.offset]).toEqual([name, kernel.get(base!)! + Number(index ?? 0) * 4]);
    }
  });

  it('loads ports in host order and addresses as the ipv4Word of their byte order', () => {
    const record = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 20, maxEntries: 1 });
    const s = skLookup();
    const fields = [
      ...loadPort('local', R2),
      stx('w', R7, R2, 0),
      ...loadPort('remote', R2),
      stx('w', R7, R2, 4),
      s.load('local_ip4', R2, SK_LOOKUP_CTX),
      stx('w', R7, R2, 8),
      s.load('family', R2, SK_LOOKUP_CTX),
      stx('w', R7, R2, 12),
      s.load('protocol', R2, SK_LOOKUP_CTX),
      stx('w', R7, R2, 16),
    ];
    const body = [
      st('w', R10, -4, 0),
      ldMapFd(R1, { fd: record }),
      mov(R2, R10),
      add(R2, -4),
      call('map_lookup_elem'),
      jeq(R0, 0, 'out'),
      mov(R7, R0),
      ...fields,
      mark('out'),
      ...s.ret('SK_PASS'),
    ];
    // A socket on the destination: no ICMP error comes back (its lookup would run the program too).
    const rx = ns.udp('127.0.0.2', 8005);
    try {
      using p = Program.load(s.build(body));
      using _link = attachNetns(p, ns.path);
      ns.sendUdp('127.0.0.2', 8005, 'x', 4321);
      expect(drain(rx)).toEqual(['x']);
      const value = new Uint8Array(20);
      mapLookupElem(record, new Uint8Array(4), value);
      const v = new DataView(value.buffer);
      const little = HOST_BYTE_ORDER === 'little';
      expect(v.getUint32(0, little)).toBe(8005);
      expect(v.getUint32(4, little)).toBe(4321);
      expect([...value.subarray(8, 12)]).toEqual([127, 0, 0, 2]);
      expect(v.getInt32(8, little)).toBe(ipv4Word('127.0.0.2', HOST_BYTE_ORDER));
      expect(v.getUint32(12, little)).toBe(SkLookupFamily.INET);
      expect(v.getUint32(16, little)).toBe(SkLookupProtocol.UDP);
    } finally {
      close(rx);
      close(record);
    }
  });
});
