import { EbpfError } from '@ts-ebpf/uapi';
import { AssemblyError } from '../errors.js';
import { findHelper, helperLabel } from '../helpers.js';

/** Raised when a plugin is misused: an unknown section, or a registry conflict. */
export class PluginError extends EbpfError {
  override readonly name: string = 'PluginError';
}

/** Raised when a registry already holds a plugin of that name or one claiming the same section. */
export class DuplicatePluginError extends PluginError {
  override readonly name = 'DuplicatePluginError';
  /** The plugin refused. */
  readonly plugin: string;
  /** The plugin it collides with. */
  readonly existing: string;

  constructor(plugin: string, existing: string, what: string) {
    super(`plugin '${plugin}' cannot be registered: ${what} already belongs to plugin '${existing}'`);
    this.plugin = plugin;
    this.existing = existing;
  }
}

/**
 * Raised when a program built for a section would return a code the section does not return:
 * given to `ret()` by name, or chosen by a plugin fragment's option or template (recorded on
 * the instruction, see `ChosenReturn`) and found by `PluginSection.build` or
 * `checkPluginProgram`. The message says what the kernel does with the code there when the
 * section refuses it by name.
 */
export class ReturnCodeError extends PluginError {
  override readonly name = 'ReturnCodeError';
  /** The plugin's name. */
  readonly plugin: string;
  /** The section the program is built for. */
  readonly section: string;
  /** The code's name (`XDP_TX`), or its number when it has none. */
  readonly code: string;
  /** What chose the code (`onFailure of xdp_adjust_head`); absent for `ret()`. */
  readonly subject?: string;

  constructor(plugin: string, section: string, code: string, subject: string | undefined, message: string) {
    super(`plugin '${plugin}', section '${section}': ${message}`);
    this.plugin = plugin;
    this.section = section;
    this.code = code;
    if (subject !== undefined) this.subject = subject;
  }
}

/** Raised for a section name the plugin does not describe. */
export class PluginSectionError extends PluginError {
  override readonly name = 'PluginSectionError';
  /** The section asked for. */
  readonly section: string;

  constructor(plugin: string, section: string, known: readonly string[]) {
    super(`plugin '${plugin}' has no section '${section}' (it has ${known.map((s) => `'${s}'`).join(', ')})`);
    this.section = section;
  }
}

/**
 * Raised before the kernel is asked when a program calls a helper its program type (and
 * expected attach type) may not call: names the helper as the kernel's verifier does
 * (`bpf_get_socket_cookie#46`) and the program type.
 */
export class HelperNotAllowedError extends AssemblyError {
  override readonly name = 'HelperNotAllowedError';
  /** The helper's name (without `bpf_`), or its id when unknown. */
  readonly helper: string;
  /** The helper's id, the call's immediate (`BPF_FUNC_get_socket_cookie` is 46). */
  readonly helperId: number;
  /** The program type's name, e.g. `SOCKET_FILTER`, with the attach type when it matters. */
  readonly programType: string;

  constructor(helperId: number, programType: string, index: number, text: string) {
    super(`${programType} programs may not call helper ${helperLabel(helperId)}`, index, text);
    this.helper = findHelper(helperId)?.name ?? String(helperId);
    this.helperId = helperId;
    this.programType = programType;
  }
}

/** Raised for a context field that does not exist, or that the program may not read or write. */
export class ContextAccessError extends AssemblyError {
  override readonly name = 'ContextAccessError';
  /** The field asked for. */
  readonly field: string;

  constructor(field: string, reason: string) {
    super(reason);
    this.field = field;
  }
}
