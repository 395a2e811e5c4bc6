/**
 * Which helpers a program type may call: the kernel's func_proto tables as probed by
 * scripts/probe-helpers.ts (data/bpf-uapi.json, `helperAccess`).
 */
import { HELPER_ACCESS, UNPROBED_HELPER_ACCESS } from './generated/helper-access.generated.js';
import type { HelperAccess } from './helper-access-types.js';

const sets = new WeakMap<HelperAccess, ReadonlySet<number>>();

function setOf(row: HelperAccess): ReadonlySet<number> {
  let s = sets.get(row);
  if (!s) {
    s = new Set(row.helpers);
    sets.set(row, s);
  }
  return s;
}

function sameHelpers(a: HelperAccess, b: HelperAccess): boolean {
  return a.helpers.length === b.helpers.length && a.helpers.every((id, i) => b.helpers[i] === id);
}

/**
 * The helper ids (`BpfFunc`) a program of `progType`, loaded with `attachType`, may call, or
 * undefined when that is not known. A pair the probe recorded gives its own set; a pair it did
 * not record gives the set every recorded attach type of `progType` agrees on, and undefined
 * when they differ (the helpers then depend on the attach type) or none was recorded (see
 * {@link unprobedHelperAccess}).
 */
export function allowedHelpers(progType: number, attachType?: number): ReadonlySet<number> | undefined {
  const rows = HELPER_ACCESS.filter((r) => r.progType === progType);
  const exact = rows.find((r) => r.attachType === attachType);
  if (exact) return setOf(exact);
  const first = rows[0];
  if (first && rows.every((r) => sameHelpers(r, first))) return setOf(first);
  return undefined;
}

/** Why the helpers of `progType` (with `attachType`) were not probed, or undefined when they were. */
export function unprobedHelperAccess(progType: number, attachType?: number): string | undefined {
  if (allowedHelpers(progType, attachType)) return undefined;
  const row =
    UNPROBED_HELPER_ACCESS.find((r) => r.progType === progType && r.attachType === attachType) ??
    UNPROBED_HELPER_ACCESS.find((r) => r.progType === progType);
  if (row) return row.reason;
  return HELPER_ACCESS.some((r) => r.progType === progType)
    ? 'the helpers depend on the attach type, and this one was not probed'
    : 'this program type was not probed';
}
