import { catalog } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { describe } from 'vitest';
import { FlowDissectorOptionError, flowDissectorPlugin } from '../src/index.js';

const { dissect } = flowDissectorPlugin.templates;

describe('dsl-flow-dissector: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'BPF_OK for other protocols',
      act: () => dissect({ byteOrder: HOST_BYTE_ORDER, otherProtocols: 'BPF_OK' as 'BPF_DROP' }),
      error: FlowDissectorOptionError,
      names: ['dissect otherProtocols', 'BPF_OK'],
    },
    {
      what: 'too many VLAN tags',
      act: () => dissect({ byteOrder: HOST_BYTE_ORDER, vlanTags: 5 }),
      error: FlowDissectorOptionError,
      names: ['dissect vlanTags', '5'],
    },
    {
      what: 'a byte order that is not one',
      act: () => dissect({ byteOrder: 'network' as 'big' }),
      error: FlowDissectorOptionError,
      names: ['dissect byteOrder', 'network'],
    },
    {
      what: 'no options at all (the byte order is required)',
      act: () => (dissect as (o?: unknown) => unknown)(),
      error: FlowDissectorOptionError,
      names: ['dissect byteOrder', 'undefined'],
    },
  ]);
});
