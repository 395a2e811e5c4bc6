import { PluginError, ReturnCodeError } from '@ts-ebpf/dsl';
import { catalog } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { describe } from 'vitest';
import {
  changeTail,
  l3CsumReplace,
  redirect,
  storeBytes,
  TcAction,
  TcActionError,
  TcArgumentError,
  tc,
  tcActionCode,
  tcPlugin,
} from '../src/index.js';

const T = tcPlugin.templates;

describe('dsl-tc: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'a failure action that is not a tc action',
      act: () => changeTail(64, { onFailure: 'TC_ACT_DORP' as 'TC_ACT_SHOT' }),
      error: TcActionError,
      names: ['skb_change_tail onFailure', '"TC_ACT_DORP"'],
    },
    {
      what: 'TC_ACT_STOLEN from a tcx program (tcx lets the packet pass)',
      act: () => tc('tc/egress').ret('TC_ACT_STOLEN' as never),
      error: PluginError,
      names: ["section 'tc/egress'", '"TC_ACT_STOLEN"', 'TCX_NEXT', 'packet passes', 'TCX_DROP'],
    },
    {
      what: 'TC_ACT_STOLEN as the failure action of a tcx program (tcx lets the packet pass)',
      act: () =>
        tc('tcx/ingress').build([
          changeTail(64, { onFailure: 'TC_ACT_STOLEN' }),
          tc('tcx/ingress').ret('TCX_PASS'),
        ]),
      error: ReturnCodeError,
      names: [
        "section 'tcx/ingress'",
        'TC_ACT_STOLEN (4) from skb_change_tail onFailure',
        'TCX_NEXT',
        'TCX_DROP',
      ],
    },
    {
      what: 'TC_ACT_PIPE from a classic tc program (a direct-action filter takes it as TC_ACT_UNSPEC)',
      act: () => tc('classifier').ret('TC_ACT_PIPE' as never),
      error: ReturnCodeError,
      names: ["section 'classifier'", '"TC_ACT_PIPE"', 'TC_ACT_UNSPEC', 'cls_bpf_exec_opcode'],
    },
    {
      what: 'TC_ACT_QUEUED as the failure action of a classic tc program',
      act: () =>
        tc('tc').build([
          l3CsumReplace({ offset: 24, from: 0, to: 1, size: 2, onFailure: TcAction.QUEUED }),
          tc('tc').ret('TC_ACT_OK'),
        ]),
      error: ReturnCodeError,
      names: ["section 'tc'", 'TC_ACT_QUEUED (5) from l3_csum_replace onFailure', 'cls_bpf_exec_opcode'],
    },
    {
      what: 'an action code out of range',
      act: () => tcActionCode(9 as 0),
      error: TcActionError,
      names: ['action', '9'],
    },
    {
      what: 'a stack buffer outside the stack',
      act: () => storeBytes({ offset: 0, stack: -4, length: 8 }),
      error: TcArgumentError,
      names: ['skb_store_bytes stack', '-4..4'],
    },
    {
      what: 'a negative packet offset (the helper fails it with EFAULT)',
      act: () => storeBytes({ offset: -1, stack: -8, length: 4 }),
      error: TcArgumentError,
      names: ['skb_store_bytes offset', '-1'],
    },
    {
      what: 'an odd checksum offset (the helper fails it with EFAULT)',
      act: () => l3CsumReplace({ offset: 25, from: 0, to: 1, size: 2 }),
      error: TcArgumentError,
      names: ['l3_csum_replace offset', '25'],
    },
    {
      what: 'a checksum size that is not 0, 2 or 4',
      act: () => l3CsumReplace({ offset: 24, from: 0, to: 1, size: 3 as 2 }),
      error: TcArgumentError,
      names: ['l3_csum_replace size', '3'],
    },
    {
      what: 'an ifindex that is not a 32-bit integer',
      act: () => redirect(2 ** 40),
      error: TcArgumentError,
      names: ['redirect ifindex', String(2 ** 40)],
    },
    {
      what: 'a negative tail length',
      act: () => changeTail(-1),
      error: TcArgumentError,
      names: ['skb_change_tail length', '-1'],
    },
    {
      what: 'a port filter without ports',
      act: () => T.portFilter({ ports: [], byteOrder: HOST_BYTE_ORDER }),
      error: TcArgumentError,
      names: ['portFilter ports'],
    },
    {
      what: 'a parsing template called without byteOrder (untyped caller): the option is named',
      act: () => T.portFilter({ ports: [53] } as unknown as Parameters<typeof T.portFilter>[0]),
      error: TcArgumentError,
      names: ['template byteOrder', 'undefined is not', 'HOST_BYTE_ORDER'],
    },
    {
      what: 'a port out of range',
      act: () => T.portFilter({ ports: [70000], byteOrder: HOST_BYTE_ORDER }),
      error: TcArgumentError,
      names: ['portFilter ports', '70000'],
    },
    {
      what: 'a protocol the port filter does not know',
      act: () => T.portFilter({ ports: [53], protocols: ['sctp' as 'udp'], byteOrder: HOST_BYTE_ORDER }),
      error: TcArgumentError,
      names: ['portFilter protocols', 'sctp'],
    },
    {
      what: 'a port filter for no protocol (it built a filter that drops nothing)',
      act: () => T.portFilter({ ports: [53], protocols: [], byteOrder: HOST_BYTE_ORDER }),
      error: TcArgumentError,
      names: ['portFilter protocols'],
    },
    {
      what: 'a DSCP above 63',
      act: () => T.dscpMark({ dscp: 64, byteOrder: HOST_BYTE_ORDER }),
      error: TcArgumentError,
      names: ['dscpMark dscp', '64'],
    },
    {
      what: 'a counters direction that is not ingress or egress',
      act: () => T.counters({ map: 'm', direction: 'both' as 'ingress' }),
      error: TcArgumentError,
      names: ['counters direction', 'both'],
    },
  ]);
});
