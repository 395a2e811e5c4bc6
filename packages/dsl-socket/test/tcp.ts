import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { close } from '@ts-ebpf/syscall';
import { afterEach, beforeEach } from 'vitest';

/** One TCP connection over loopback: the connecting side, the accepted side, and what each received. */
export interface Pair {
  readonly client: Socket;
  readonly accepted: Socket;
  readonly clientGot: Buffer[];
  readonly acceptedGot: Buffer[];
  /** The error the client side saw, if any. */
  clientError?: NodeJS.ErrnoException;
}

/** A loopback TCP server that hands out connected pairs. */
export class Loopback {
  #server: Server | undefined;
  #waiting: ((s: Socket) => void)[] = [];
  #pairs: Pair[] = [];

  async start(): Promise<this> {
    this.#server = createServer((s) => this.#waiting.shift()?.(s));
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    return this;
  }

  async pair(): Promise<Pair> {
    const port = (this.#server!.address() as { port: number }).port;
    const acceptedP = new Promise<Socket>((r) => this.#waiting.push(r));
    const client = createConnection(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    const accepted = await acceptedP;
    const pair: Pair = { client, accepted, clientGot: [], acceptedGot: [] };
    client.on('data', (d) => pair.clientGot.push(d));
    accepted.on('data', (d) => pair.acceptedGot.push(d));
    client.on('error', (e) => {
      pair.clientError = e;
    });
    accepted.on('error', () => {});
    this.#pairs.push(pair);
    return pair;
  }

  async stop(): Promise<void> {
    for (const p of this.#pairs) {
      p.client.destroy();
      p.accepted.destroy();
    }
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
  }
}

/** The text of the chunks received. */
export function text(chunks: Buffer[]): string {
  return Buffer.concat(chunks).toString();
}

/** Waits until `check()` holds (polling), or fails after `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A loopback server for each test, and descriptors (maps) to close after it. */
export interface TcpTestBed {
  /** The running test's server. */
  readonly net: Loopback;
  /** Closed after the test. */
  readonly fds: number[];
}

/**
 * Starts a {@link Loopback} before each test of the enclosing `describe` and, after it, stops
 * it and closes every descriptor pushed to `fds`. Read the fields inside the tests.
 */
export function loopbackEachTest(): TcpTestBed {
  const bed = { net: undefined as unknown as Loopback, fds: [] as number[] };
  beforeEach(async () => {
    bed.net = await new Loopback().start();
  });
  afterEach(async () => {
    await bed.net.stop();
    for (const fd of bed.fds.splice(0)) close(fd);
  });
  return bed;
}
