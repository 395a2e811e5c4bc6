import { execFileSync } from 'node:child_process';
import { byteViews, seededRandom } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from '../src/index.js';

const v6 = (groups: readonly number[]) => Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));

describe('ipv4Text and ipv6Text', () => {
  it('write dotted IPv4 and RFC 5952 IPv6 text from any view, at an offset', () => {
    for (const { bytes } of byteViews(
      Uint8Array.of(9, 10, 0, 0, 1, 0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1),
    )) {
      expect(ipv4Text(bytes, 1)).toBe('10.0.0.1');
      expect(ipv6Text(bytes, 5)).toBe('2001:db8::1');
    }
    const cases: [number[], string][] = [
      [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
      [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
      [[1, 0, 0, 0, 0, 0, 0, 0], '1::'],
      [[0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], '2001:db8:0:1:1:1:1:1'], // one zero group stays
      [[0x2001, 0, 0, 1, 0, 0, 0, 1], '2001:0:0:1::1'], // the longest run
      [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'], // the first of equal runs
      [[0xfe80, 0, 0, 0, 0xabcd, 0xef, 0, 0x10], 'fe80::abcd:ef:0:10'],
    ];
    for (const [groups, text] of cases) expect(ipv6Text(v6(groups))).toBe(text);
  });

  it("agree with Python's ipaddress on random addresses full of zero groups", () => {
    const random = seededRandom(7);
    const addresses = Array.from({ length: 300 }, () =>
      v6(Array.from({ length: 8 }, () => (random() < 0.5 ? 0 : Math.floor(random() * 0x10000)))),
    );
    const hex = addresses.map((a) => Buffer.from(a).toString('hex')).join(' ');
    const python = execFileSync(
      'python3',
      [
        '-c',
        'import ipaddress,sys\nfor h in sys.argv[1:]: print(ipaddress.IPv6Address(bytes.fromhex(h)).compressed)',
        ...hex.split(' '),
      ],
      { encoding: 'utf8' },
    );
    expect(addresses.map((a) => ipv6Text(a))).toEqual(python.trim().split('\n'));
  });
});
