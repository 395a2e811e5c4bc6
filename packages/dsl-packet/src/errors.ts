import { EbpfError } from '@ts-ebpf/uapi';

/**
 * Raised when a packet cursor or parser is given options it cannot build correct code from
 * (a register used twice, a bound out of range, an offset past the 16-bit field): the message
 * names the option.
 */
export class PacketDslError extends EbpfError {}
