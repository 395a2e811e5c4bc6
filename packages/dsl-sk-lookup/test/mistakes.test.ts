import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import {
  assignFromMap,
  dispatchByLocalAddress,
  ipv4Word,
  loadPort,
  protocolNumber,
  SkLookupArgumentError,
  steerPortRange,
} from '../src/index.js';

describe('dsl-sk-lookup: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'no byte order for an address word (it was taken as big-endian)',
      act: () => ipv4Word('10.0.0.1', undefined as unknown as 'little'),
      error: SkLookupArgumentError,
      names: ['byteOrder', 'undefined'],
    },
    {
      what: 'a byte order that is not one',
      act: () => ipv4Word('10.0.0.1', 'network' as 'big'),
      error: SkLookupArgumentError,
      names: ['byteOrder', '"network"'],
    },
    {
      what: 'a port range that is empty',
      act: () => steerPortRange('sockmap', { from: 9000, to: 8000 }),
      error: SkLookupArgumentError,
      names: ['from', '9000..8000'],
    },
    {
      what: 'a port that is not one',
      act: () => steerPortRange('sockmap', { from: 1, to: 70000 }),
      error: SkLookupArgumentError,
      names: ['to', '70000'],
    },
    {
      what: 'a sockmap key that is not a u32 (it was stored as 0xffffffff)',
      act: () => steerPortRange('sockmap', { from: 8000, to: 8010, key: -1 }),
      error: SkLookupArgumentError,
      names: ['key', '-1', 'u32'],
    },
    {
      what: 'a sockmap key that is not an integer',
      act: () => assignFromMap('sockmap', 1.5),
      error: SkLookupArgumentError,
      names: ['key', '1.5'],
    },
    {
      what: 'a protocol sk_lookup does not run for',
      act: () => protocolNumber('sctp' as 'tcp'),
      error: SkLookupArgumentError,
      names: ['protocol', '"sctp"'],
    },
    {
      what: 'a verdict that is not SK_PASS or SK_DROP',
      act: () => dispatchByLocalAddress('sockhash', { onMissing: 'SK_REDIRECT' as 'SK_PASS' }),
      error: SkLookupArgumentError,
      names: ['onMissing', '"SK_REDIRECT"'],
    },
    {
      what: 'a key slot outside the stack',
      act: () => assignFromMap('sockmap', 0, { keySlot: -520 }),
      error: SkLookupArgumentError,
      names: ['keySlot', '-520'],
    },
    {
      what: 'a sockmap key that is not a 32-bit integer',
      act: () => assignFromMap('sockmap', 2 ** 33),
      error: SkLookupArgumentError,
      names: ['key', String(2 ** 33)],
    },
    {
      what: 'an IPv4 address that is not dotted',
      act: () => ipv4Word('10.0.0.256', 'little'),
      error: SkLookupArgumentError,
      names: ['address', '10.0.0.256'],
    },
    {
      what: 'a port that is neither local nor remote',
      act: () => loadPort('peer' as 'local', { num: 2 } as never),
      error: SkLookupArgumentError,
      names: ['port', '"peer"'],
    },
  ]);
});
