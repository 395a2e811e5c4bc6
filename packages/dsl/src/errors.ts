import { EbpfError } from '@ts-ebpf/uapi';

/** Raised when instructions cannot be turned into bytes: the message names the instruction. */
export class AssemblyError extends EbpfError {
  override readonly name: string = 'AssemblyError';
  /** Index of the offending instruction in the input array (-1 when not tied to one). */
  readonly index: number;
  /** The offending instruction in text form ('' when not tied to one). */
  readonly text: string;
  /** The problem without the instruction prefix. */
  readonly reason: string;

  constructor(reason: string, index = -1, text = '') {
    super(index >= 0 ? `instruction #${index} (${text}): ${reason}` : reason);
    this.index = index;
    this.text = text;
    this.reason = reason;
  }
}

/** Raised when bytes do not decode to valid instructions. */
export class DisassemblyError extends EbpfError {
  override readonly name = 'DisassemblyError';
  /** Byte offset of the offending instruction. */
  readonly byteOffset: number;

  constructor(message: string, byteOffset: number) {
    super(`at byte ${byteOffset}: ${message}`);
    this.byteOffset = byteOffset;
  }
}

/** Raised when assembler text cannot be parsed. */
export class ParseError extends EbpfError {
  override readonly name = 'ParseError';
  /** 1-based line number in the source text. */
  readonly line: number;
  /** The statement that failed. */
  readonly statement: string;

  constructor(message: string, line: number, statement: string) {
    super(`line ${line}: ${message}: ${statement}`);
    this.line = line;
    this.statement = statement;
  }
}

/**
 * Raised by the `bpf` template tag for an interpolated value it cannot splice into
 * assembler text: the message names the interpolation (1-based) and what was given.
 */
export class TemplateError extends EbpfError {
  override readonly name = 'TemplateError';
  /** 1-based position of the offending `${…}` in the template. */
  readonly position: number;

  constructor(reason: string, position: number) {
    super(`bpf template, interpolation #${position}: ${reason}`);
    this.position = position;
  }
}
