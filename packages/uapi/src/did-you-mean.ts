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

/** How many characters `a` and `b` share at their start, and then at their end (not overlapping). */
function sharedEnds(a: string, b: string): { prefix: number; suffix: number } {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  )
    suffix++;
  return { prefix, suffix };
}

/**
 * The candidate closest to `wanted` by {@link editDistance} (ignoring case), or undefined when
 * none is close enough to be a misspelling of it. Closeness is judged on the part of the two names
 * that differs, what is left after their shared start and end: the distance may be at most a
 * third of its length (at least 1). A shared start does not make a name closer, so
 * `sys_enter_nosuch` has no suggestion (`sys_enter_mount` differs in `nosuch`/`mount`, 5 edits
 * in 6 letters) while `sys_enter_getpdi` suggests `sys_enter_getpid` (`di`/`id`, 1 edit). Of
 * candidates at the same distance, the one sharing the longer start with `wanted` is taken.
 */
export function closestName(wanted: string, candidates: Iterable<string>): string | undefined {
  const w = wanted.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let bestPrefix = -1;
  for (const c of candidates) {
    const lower = c.toLowerCase();
    const d = editDistance(w, lower);
    const { prefix, suffix } = sharedEnds(w, lower);
    const differing = Math.max(w.length, lower.length) - prefix - suffix;
    if (d > Math.max(1, Math.ceil(differing / 3))) continue;
    if (d < bestDistance || (d === bestDistance && prefix > bestPrefix)) {
      best = c;
      bestDistance = d;
      bestPrefix = prefix;
    }
  }
  return best;
}
