import { EbpfError } from '@ts-ebpf/uapi';

/** A network interface that does not exist in the calling thread's network namespace. */
export class InterfaceNotFoundError extends EbpfError {
  /** The interface asked for: its name, or its ifindex. */
  readonly interface: string | number;
  /** @param name - the interface name or ifindex; @param options - the error it explains */
  constructor(name: string | number, options?: ErrorOptions) {
    super(
      typeof name === 'number'
        ? `there is no network interface with ifindex ${name} in this network namespace`
        : `there is no network interface '${name}' in this network namespace`,
      options,
    );
    this.interface = name;
  }
}

/**
 * A network namespace `inNetns` cannot enter: a path that does not exist (no `ip netns add`),
 * or a file or fd that is not a network namespace. `cause` is the system call's error.
 */
export class NetnsError extends EbpfError {
  /** The namespace given: its path, or an fd. */
  readonly netns: string | number;
  /** @param netns - the path or fd given; @param reason - what is wrong; @param options - the error it explains */
  constructor(netns: string | number, reason: string, options?: ErrorOptions) {
    super(`network namespace ${typeof netns === 'number' ? `fd ${netns}` : netns}: ${reason}`, options);
    this.netns = netns;
  }
}

/**
 * The kernel refused an attach and the cause is known: a program of the wrong type, a hook
 * that already has a program, a full program list, a path that is not a cgroup … The
 * message names the attach point; `cause` is the system call's error when there was one.
 */
export class AttachError extends EbpfError {
  /** The attach point (`'XDP on eth0'`, `'cgroup /sys/fs/cgroup/x'`, `'tracepoint sched/sched_switch'`). */
  readonly target: string;
  /** @param target - the attach point; @param reason - why it failed; @param options - the wrapped error */
  constructor(target: string, reason: string, options?: ErrorOptions) {
    super(`cannot attach to ${target}: ${reason}`, options);
    this.target = target;
  }
}

/** A pinned object or file descriptor given as a program is some other kind of object. */
export class NotAProgramError extends EbpfError {
  /** The pin path or `'fd <n>'`. */
  readonly subject: string;
  /** What it is instead (`'map'`, `'link'`, `'BTF object'`, `'file'` …). */
  readonly actual: string;
  /** @param subject - the path or fd; @param actual - what it is */
  constructor(subject: string, actual: string, options?: ErrorOptions) {
    super(`${subject} is a ${actual}, not a BPF program`, options);
    this.subject = subject;
    this.actual = actual;
  }
}

/** A tracepoint (or its category) that tracefs does not list. */
export class TracepointNotFoundError extends EbpfError {
  /** The category (`'sched'`). */
  readonly category: string;
  /** The event (`'sched_switch'`). */
  readonly event: string;
  /** The tracefs directory that is missing (`/sys/kernel/tracing/events/sched/nope`), when known. */
  readonly path: string | undefined;
  /**
   * @param category - the tracepoint's category; @param event - its name; @param categoryExists - whether the category exists
   * @param options - `cause`; `path`: the tracefs directory looked for; `nearest`: the
   * `category/event` tracefs has that is closest to the one asked for (a misspelling)
   */
  constructor(
    category: string,
    event: string,
    categoryExists: boolean,
    options?: ErrorOptions & { readonly path?: string; readonly nearest?: string },
  ) {
    const where = options?.path ? ` (no ${options.path})` : '';
    const near = options?.nearest ? `; did you mean '${options.nearest}'?` : '';
    super(
      categoryExists
        ? `tracepoint category '${category}' has no event '${event}'${where}${near}`
        : `there is no tracepoint category '${category}' (asked for ${category}/${event})${where}${near}`,
      options,
    );
    this.category = category;
    this.event = event;
    this.path = options?.path;
  }
}

/**
 * The running kernel cannot do this kind of probe: kprobes without CONFIG_KPROBES, a uprobe
 * PMU that is missing, fentry where ftrace trampolines are blocked …
 */
export class ProbeUnsupportedError extends EbpfError {
  /** The probe kind (`'kprobe'`, `'uprobe'`, `'fentry'` …). */
  readonly kind: string;
  /** @param kind - the probe kind; @param reason - why this kernel cannot; @param options - the wrapped error */
  constructor(kind: string, reason?: string, options?: ErrorOptions) {
    super(
      reason
        ? `${kind} is not supported by this kernel: ${reason}`
        : `${kind} is not supported by this kernel`,
      options,
    );
    this.kind = kind;
  }
}

/**
 * A read of an iterator failed with an errno the kernel gives iterators a meaning of their own:
 * E2BIG, the program wrote more for one object than the kernel's buffer for a read holds (8
 * pages: 32 KiB with 4 KiB pages), so none of it can be read; EAGAIN, the program returned 1
 * (retry) for an object with nothing read before it, or a million objects were visited in one
 * read without output. After EAGAIN the walk goes on with the next read. `cause` is the
 * read's error.
 */
export class IterReadError extends EbpfError {
  /** The errno name (`'E2BIG'`, `'EAGAIN'`). */
  readonly code: string;
  /** @param code - the errno name; @param reason - what it means here; @param options - the read's error */
  constructor(code: string, reason: string, options?: ErrorOptions) {
    super(`reading the iterator failed with ${code}: ${reason}`, options);
    this.code = code;
  }
}

/**
 * The kernel gave none of a loaded program's code it was asked for: translated instructions or
 * JIT-compiled code, function addresses and lengths. It zeroes every length for a caller without
 * CAP_BPF (or CAP_SYS_ADMIN), has no JIT-compiled code for an interpreted program (the JIT off:
 * `net.core.bpf_jit_enable=0`), and withholds the contents (clears the pointer) from a caller
 * that may not see kernel addresses (`kernel.kptr_restrict`: 1 without CAP_SYSLOG, 2 for every
 * caller, root too).
 */
export class ProgramCodeUnavailableError extends EbpfError {
  /** The program (`program 'xdp_pass' (id 12)`). */
  readonly subject: string;
  /** What was asked for (`translated instructions`, `JIT-compiled code` …). */
  readonly what: string;
  /** @param subject - the program; @param what - what was asked for; @param reason - why there is none */
  constructor(subject: string, what: string, reason: string, options?: ErrorOptions) {
    super(`${subject}: the kernel gave no ${what}: ${reason}`, options);
    this.subject = subject;
    this.what = what;
  }
}
