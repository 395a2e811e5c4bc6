/**
 * Edit distance between two strings: the fewest one-character insertions, deletions,
 * substitutions or swaps of two neighbours (`xpd` → `xdp` is one edit) from `a` to `b`.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: distance between a[0..i) and b[0..j)
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row[j] = d;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The candidate closest to `wanted` by {@link editDistance} (ignoring case), or undefined when
 * none is within a third of the longer length (too far to be a misspelling).
 */
export function closestName(wanted: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(wanted.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined || bestDistance > Math.max(2, Math.ceil(Math.max(wanted.length, best.length) / 3))) {
    return undefined;
  }
  return best;
}
