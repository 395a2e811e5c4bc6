import { exit, PluginError, ReturnCodeError } from '@ts-ebpf/dsl';
import { catalog } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER, XdpAction } from '@ts-ebpf/uapi';
import { describe } from 'vitest';
import {
  adjustHead,
  ipv4Blocklist,
  loadBytes,
  macSwapTx,
  portFilter,
  redirect,
  redirectMap,
  redirectToCpu,
  storeBytes,
  XdpActionError,
  XdpArgumentError,
  xdp,
  xdpActionCode,
} from '../src/index.js';

describe('dsl-xdp: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'a failure action that is not an XDP action',
      act: () => adjustHead(-4, { onFailure: 'XDP_DORP' as 'XDP_DROP' }),
      error: XdpActionError,
      names: ['xdp_adjust_head onFailure', '"XDP_DORP"'],
    },
    {
      what: 'an action code out of range',
      act: () => xdpActionCode(7 as 1),
      error: XdpActionError,
      names: ['action', '7'],
    },
    {
      what: 'XDP_REDIRECT as the fallback of a map redirect',
      act: () => redirectMap('devmap', 0, { fallback: 'XDP_REDIRECT' }),
      error: XdpArgumentError,
      names: ['redirect fallback'],
    },
    {
      what: 'a parsing template called without byteOrder (untyped caller): the option is named',
      act: () => portFilter({ ports: [53] } as unknown as Parameters<typeof portFilter>[0]),
      error: XdpArgumentError,
      names: ['template byteOrder', 'undefined is not', 'HOST_BYTE_ORDER'],
    },
    {
      what: 'XDP_REDIRECT as what a port filter returns, with no redirect helper called',
      act: () => portFilter({ ports: [53], action: 'XDP_REDIRECT', byteOrder: HOST_BYTE_ORDER }),
      error: XdpArgumentError,
      names: ['port filter action', 'XDP_REDIRECT'],
    },
    {
      what: 'XDP_REDIRECT for the short frames of macSwapTx',
      act: () => macSwapTx({ short: XdpAction.REDIRECT, byteOrder: HOST_BYTE_ORDER }),
      error: XdpArgumentError,
      names: ['short-frame action', 'XDP_REDIRECT'],
    },
    {
      what: 'XDP_TX from a devmap program (the kernel drops the frame)',
      act: () => xdp('xdp/devmap').ret('XDP_TX' as never),
      error: PluginError,
      names: ["section 'xdp/devmap'", '"XDP_TX"', 'dev_map_bpf_prog_run', 'drops the frame', 'XDP_PASS'],
    },
    {
      what: 'XDP_TX from a cpumap program (the kernel drops the frame)',
      act: () => xdp('xdp.frags/cpumap').ret('XDP_TX' as never),
      error: PluginError,
      names: ["section 'xdp.frags/cpumap'", '"XDP_TX"', 'cpu_map_bpf_prog_run_xdp', 'XDP_REDIRECT'],
    },
    {
      what: 'the macSwapTx template (XDP_TX) in a devmap program',
      act: () => xdp('xdp/devmap').build(macSwapTx({ byteOrder: HOST_BYTE_ORDER })),
      error: ReturnCodeError,
      names: [
        "section 'xdp/devmap'",
        'XDP_TX (3) from template macSwapTx',
        'dev_map_bpf_prog_run',
        'XDP_PASS',
      ],
    },
    {
      what: 'XDP_TX as a port filter action in a cpumap program',
      act: () =>
        xdp('xdp/cpumap').build(portFilter({ ports: [53], action: 'XDP_TX', byteOrder: HOST_BYTE_ORDER })),
      error: ReturnCodeError,
      names: ["section 'xdp/cpumap'", 'XDP_TX (3) from port filter action', 'cpu_map_bpf_prog_run_xdp'],
    },
    {
      what: 'XDP_TX as the failure action of a devmap program',
      act: () =>
        xdp('xdp.frags/devmap').build([
          adjustHead(-4, { onFailure: XdpAction.TX }),
          xdp('xdp.frags/devmap').ret('XDP_PASS'),
        ]),
      error: ReturnCodeError,
      names: ["section 'xdp.frags/devmap'", 'XDP_TX (3) from xdp_adjust_head onFailure', 'drops the frame'],
    },
    {
      what: 'XDP_TX as the fallback of a cpumap redirect in a cpumap program',
      act: () => xdp('xdp/cpumap').build([redirectToCpu('cpumap', 1, { fallback: 'XDP_TX' }), exit()]),
      error: ReturnCodeError,
      names: ["section 'xdp/cpumap'", 'XDP_TX (3) from redirect fallback'],
    },
    {
      what: 'a redirect (XDP_REDIRECT) in a devmap program',
      act: () => xdp('xdp/devmap').build([redirect(2), exit()]),
      error: ReturnCodeError,
      names: ["section 'xdp/devmap'", 'XDP_REDIRECT (4) from the redirect helper', 'dev_map_bpf_prog_run'],
    },
    {
      what: 'excludeIngress without broadcast',
      act: () => redirectMap('devmap', 0, { excludeIngress: true }),
      error: XdpArgumentError,
      names: ['excludeIngress', 'broadcast'],
    },
    {
      what: 'an ifindex that is not a 32-bit integer',
      act: () => redirect(2 ** 40),
      error: XdpArgumentError,
      names: ['redirect ifindex', String(2 ** 40)],
    },
    {
      what: 'a stack buffer outside the stack',
      act: () => loadBytes({ offset: 0, stack: -4, length: 8 }),
      error: XdpArgumentError,
      names: ['xdp_load_bytes stack', '-4..4'],
    },
    {
      what: 'a negative packet offset (the helper fails it with EFAULT)',
      act: () => storeBytes({ offset: -2, stack: -8, length: 4 }),
      error: XdpArgumentError,
      names: ['xdp_store_bytes offset', '-2', '0..65535'],
    },
    {
      what: "a blocklist address that is not 'source' or 'destination' (it looked up the destination)",
      act: () => ipv4Blocklist({ map: 'trie', address: 'src' as 'source', byteOrder: HOST_BYTE_ORDER }),
      error: XdpArgumentError,
      names: ['address', '"src"'],
    },
    {
      what: 'a byte count that is not positive',
      act: () => loadBytes({ offset: 0, stack: -8, length: 0 }),
      error: XdpArgumentError,
      names: ['xdp_load_bytes length'],
    },
  ]);
});
