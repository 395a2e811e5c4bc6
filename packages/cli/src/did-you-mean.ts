import { closestName } from '@ts-ebpf/uapi';

/**
 * `; did you mean 'x'?` for the known name closest to `wanted` (a misspelling: `feature` →
 * `features`), or `''` when none is close enough to be one.
 */
export function didYouMean(wanted: string, known: Iterable<string>): string {
  const near = closestName(wanted, known);
  return near === undefined ? '' : `; did you mean '${near}'?`;
}

/**
 * {@link didYouMean} for subcommands of one or more words: `words` is what was typed, each
 * subcommand compared with as many of its first words as it has (`prog lst id 5` → `list`).
 */
export function didYouMeanWords(words: readonly string[], known: readonly (readonly string[])[]): string {
  const lengths = [...new Set(known.map((k) => k.length))].filter((n) => n > 0).sort((a, b) => a - b);
  for (const n of lengths) {
    const hint = didYouMean(
      words.slice(0, n).join(' '),
      known.filter((k) => k.length === n).map((k) => k.join(' ')),
    );
    if (hint !== '') return hint;
  }
  return '';
}
