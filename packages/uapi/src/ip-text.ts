/**
 * The IPv4 address in network byte order at `bytes[offset, offset + 4)` as dotted text,
 * `'10.0.0.1'`. Reads only; the caller checks that the four bytes are there.
 */
export function ipv4Text(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * The IPv6 address in network byte order at `bytes[offset, offset + 16)` as RFC 5952 text:
 * lower-case hex groups without leading zeros, the longest run of two or more zero groups (the
 * first of equal runs) written `::`, e.g. `'2001:db8::1'`. IPv4-mapped addresses keep hex
 * groups (`'::ffff:a00:1'`). Reads only; the caller checks that the 16 bytes are there.
 */
export function ipv6Text(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[offset + i]! << 8) | bytes[offset + i + 1]!);
  let runStart = -1;
  let runLength = 1; // a run must be longer than this to be compressed
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > runLength) {
      runStart = i;
      runLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  return runStart < 0 ? hex(0, 8) : `${hex(0, runStart)}::${hex(runStart + runLength, 8)}`;
}
