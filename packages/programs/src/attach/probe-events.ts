import { readFileSync } from 'node:fs';
import { close, ensureTracefs, fileOpen, fileWrite, O, PerfType, perfEventOpen } from '@ts-ebpf/syscall';
import { AttachError } from '../errors.js';
import { Link } from '../link.js';
import type { Program } from '../program.js';
import { attachToPerfEvent, type PerfAttachOptions } from './perf-link.js';

/** The tracefs group ts-ebpf creates its dynamic probe events in. */
export const PROBE_EVENT_GROUP = 'ts_ebpf';

let eventSeq = 0;

/** A unique event name for this process: `<base>_<pid>_<n>`. */
export function probeEventName(base: string): string {
  return `${base.replace(/\W/g, '_').slice(0, 40)}_${process.pid}_${eventSeq++}`;
}

function appendLine(file: string, line: string): void {
  const fd = fileOpen(file, O.O_WRONLY | O.O_APPEND);
  try {
    fileWrite(fd, `${line}\n`);
  } finally {
    close(fd);
  }
}

/**
 * The legacy path of kprobes and uprobes: writes `definition` (e.g.
 * `p:ts_ebpf/<event> do_sys_open`) to tracefs `kprobe_events` or `uprobe_events`, opens the
 * new event as a tracepoint perf event and attaches the program. Closing the Link removes
 * the event again.
 */
export function attachProbeEvent(
  kind: string,
  file: 'kprobe_events' | 'uprobe_events',
  event: string,
  definition: string,
  program: Program,
  pid: number,
  o: PerfAttachOptions = {},
): Link {
  const tracefs = ensureTracefs();
  try {
    appendLine(`${tracefs}/${file}`, definition);
  } catch (e) {
    // The kernel checks the definition when it is written: a missing function, file or offset.
    throw new AttachError(`${kind} '${definition}'`, `${file} refused the probe definition`, { cause: e });
  }
  const remove = () => appendLine(`${tracefs}/${file}`, `-:${PROBE_EVENT_GROUP}/${event}`);
  let link: Link;
  try {
    const id = Number(readFileSync(`${tracefs}/events/${PROBE_EVENT_GROUP}/${event}/id`, 'utf8'));
    const attr = { type: PerfType.TRACEPOINT, config: id, samplePeriod: 1, wakeupEvents: 1 };
    const fd = perfEventOpen(attr, pid, pid === -1 ? 0 : -1);
    link = attachToPerfEvent(kind, program, fd, o, `${kind} '${definition}'`);
  } catch (e) {
    remove();
    throw e;
  }
  return new Link({ kind, children: [link], detach: remove });
}
