import type { Program } from '@ts-ebpf/programs';
import { progTypeLabel } from '@ts-ebpf/programs';
import type { JsonValue } from './json.js';
import { bootTimeMs, fdInfo, fdInfoNumber } from './proc-files.js';

/**
 * A program as `prog list` and `prog show` print it: bpftool's JSON field names and values
 * (`loaded_at` in seconds since the epoch), plus `verified_insns`. Fields bpftool prints only
 * when set (`map_ids`, `btf_id`, `run_time_ns`, `run_cnt`, `recursion_misses`) are left out the same way.
 */
export interface ProgRecord {
  readonly id: number;
  readonly type: string;
  readonly name: string;
  readonly tag: string;
  readonly gpl_compatible: boolean;
  readonly loaded_at: number;
  readonly uid: number;
  readonly bytes_xlated: number;
  readonly jited: boolean;
  readonly bytes_jited: number;
  readonly bytes_memlock: number;
  readonly map_ids?: readonly number[] | undefined;
  readonly btf_id?: number | undefined;
  readonly run_time_ns?: bigint | undefined;
  readonly run_cnt?: bigint | undefined;
  readonly recursion_misses?: bigint | undefined;
  readonly verified_insns: number;
  readonly [key: string]: JsonValue | undefined;
}

/** Reads a program's record from the kernel. `bootMs`: the boot time, read once per listing. */
export function progRecord(p: Program, bootMs = bootTimeMs()): ProgRecord {
  const i = p.info();
  const fdinfo = fdInfo(p.fd);
  const subject = `program id ${i.id}`;
  return {
    id: i.id,
    type: progTypeLabel(i.type).toLowerCase(),
    name: i.name,
    tag: i.tag,
    gpl_compatible: i.gplCompatible,
    loaded_at: Math.floor((bootMs * 1e6 + Number(i.loadTime)) / 1e9),
    uid: i.createdByUid,
    bytes_xlated: i.xlatedProgLen,
    jited: fdInfoNumber(fdinfo, 'prog_jited', subject) === 1,
    bytes_jited: i.jitedProgLen,
    bytes_memlock: fdInfoNumber(fdinfo, 'memlock', subject),
    map_ids: i.mapIds.length > 0 ? i.mapIds : undefined,
    btf_id: i.btfId > 0 ? i.btfId : undefined,
    run_time_ns: i.runTimeNs > 0n ? i.runTimeNs : undefined,
    run_cnt: i.runTimeNs > 0n ? i.runCnt : undefined,
    recursion_misses: i.recursionMisses > 0n ? i.recursionMisses : undefined,
    verified_insns: i.verifiedInsns,
  };
}
