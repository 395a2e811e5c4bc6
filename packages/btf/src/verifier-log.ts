/**
 * The reason in a log of the kernel's BTF verifier (kernel/bpf/btf.c): it writes a line per type
 * it checks, `[id] KIND name …`, and a tab-indented line per member; the line it stops at ends
 * with what it refused (`Invalid name`, `Member bits_offset exceeds its struct size`). A member's
 * line is given after its type's, `[2] STRUCT s size=4 vlen=1, a type_id=1 … Invalid name`.
 * @returns undefined for an empty log
 */
export function btfLogReason(log: string): string | undefined {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  if (!/^\s/.test(last)) return last.trim();
  for (let i = lines.length - 2; i >= 0; i--) {
    if (lines[i]!.startsWith('[')) return `${lines[i]!.trim()}, ${last.trim()}`;
  }
  return last.trim();
}
