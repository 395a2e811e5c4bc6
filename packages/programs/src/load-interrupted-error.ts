import type { BpfSyscallError } from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';

/**
 * A program load that the verifier gave up on every time because a signal arrived (EAGAIN),
 * after every retry: the program was not judged, so this is no verifier verdict. Signals this
 * frequent come from a profiler or a timer of the process; loading again when they stop
 * succeeds. `cause` is the last load's {@link BpfSyscallError} (errno EAGAIN).
 */
export class LoadInterruptedError extends EbpfError {
  /** The program's name, when it has one. */
  readonly programName: string | undefined;

  /**
   * @param programName - the program's name, when it has one
   * @param options - `cause`: the last load's EAGAIN error
   */
  constructor(programName: string | undefined, options: { readonly cause: BpfSyscallError }) {
    super(
      `loading program${programName ? ` '${programName}'` : ''} was interrupted by a signal on every attempt (EAGAIN): the retries were exhausted before the verifier could finish`,
      options,
    );
    this.name = 'LoadInterruptedError';
    this.programName = programName;
  }
}
