import { interfaceQueues } from '@ts-ebpf/programs';
import { type XskQueueCounts, XskQueueRangeError } from './errors.js';

/**
 * The interface's queue counts: those in use where the kernel lists them, else those
 * allocated; undefined when neither is known for both directions.
 */
function queueCounts(ifindex: number): XskQueueCounts | undefined {
  const q = interfaceQueues(ifindex);
  if (q.rx !== undefined && q.tx !== undefined) return { rx: q.rx, tx: q.tx, counted: 'in-use' };
  if (q.rxAllocated !== undefined && q.txAllocated !== undefined)
    return { rx: q.rxAllocated, tx: q.txAllocated, counted: 'allocated' };
  return undefined;
}

/**
 * Checks `queueId` against the interface's queues before the socket is made.
 * @throws XskQueueRangeError when it is not below the larger of the RX and TX counts (those in
 *   use, or, when the kernel does not list them, those allocated)
 * @throws InterfaceNotFoundError (from `@ts-ebpf/programs`) for an ifindex no interface has
 */
export function checkQueueRange(iface: string | number, ifindex: number, queueId: number): void {
  const counts = queueCounts(ifindex);
  if (counts && queueId >= Math.max(counts.rx, counts.tx)) {
    throw new XskQueueRangeError(iface, ifindex, queueId, counts);
  }
}

/**
 * What the kernel's EINVAL at bind means for `queueId`, when the queue range explains it: the
 * queue is not below the counts (they changed since {@link checkQueueRange}), or, for a bind
 * that is not zero-copy (whose EINVAL has no other cause with the options checked), the
 * interface does not list its queues in use and the queue is below the allocated ones only.
 * Undefined when the range does not explain it.
 */
export function bindRangeError(
  iface: string | number,
  ifindex: number,
  queueId: number,
  zeroCopy: boolean,
  cause: unknown,
): XskQueueRangeError | undefined {
  const counts = queueCounts(ifindex);
  if (!counts) return undefined;
  const outside = queueId >= Math.max(counts.rx, counts.tx);
  if (outside || (counts.counted === 'allocated' && !zeroCopy)) {
    return new XskQueueRangeError(iface, ifindex, queueId, counts, { cause });
  }
  return undefined;
}
