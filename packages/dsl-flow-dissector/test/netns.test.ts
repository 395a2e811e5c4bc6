import { atomic, ldMapValue, mov, R1, R2 } from '@ts-ebpf/dsl';
import { BpfMap } from '@ts-ebpf/maps';
import { attachNetns, netnsPath, Program, queryNetns } from '@ts-ebpf/programs';
import { BpfMapType } from '@ts-ebpf/syscall';
import { describeKernel, VethPair } from '@ts-ebpf/test-utils';
import { BpfAttachType, HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { flowDissector, flowDissectorPlugin } from '../src/index.js';

const veth = new VethPair('fd', 198);

describeKernel('the dissect template attached to a network namespace', () => {
  beforeAll(() => {
    veth.create(4);
  });
  afterAll(() => veth.destroy());

  it('real traffic of the namespace is dissected by it', () => {
    using runs = BpfMap.create({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const count = () => {
      const v = runs.get(new Uint8Array(4))!;
      return new DataView(v.buffer, v.byteOffset).getBigUint64(0, HOST_LITTLE_ENDIAN);
    };
    // Counts its runs, then dissects.
    const body = [
      ldMapValue(R1, runs, 0),
      mov(R2, 1),
      atomic('add', 'dw', R1, R2),
      flowDissectorPlugin.templates.dissect({ byteOrder: HOST_BYTE_ORDER }),
    ];
    using p = Program.load(flowDissector().build(body));
    {
      using link = attachNetns(p, netnsPath(veth.ns));
      expect(queryNetns(netnsPath(veth.ns), BpfAttachType.FLOW_DISSECTOR).progIds).toEqual([p.info().id]);
      expect(link).toBeDefined();
      // Unconnected sends out of a multi-queue veth: picking the tx queue hashes (dissects) each packet.
      veth.sendToHostUnconnected(5);
      expect(count()).toBeGreaterThanOrEqual(5n);
    }
    const after = count();
    veth.sendToHostUnconnected(3);
    expect(count()).toBe(after);
  });
});
