/**
 * A throwaway veth pair for the XDP examples: `host` stays in this network namespace, `peer`
 * lives in a new namespace `ns`; both have an address in 10.214.<subnet>.0/24. Names carry
 * the process id, so examples never collide with each other or with tests. `using` deletes
 * the namespace (and with it the pair).
 */
import { execFileSync, spawnSync } from 'node:child_process';

export class ExampleVeth implements Disposable {
  readonly ns: string;
  readonly host: string;
  readonly peer: string;
  readonly hostIp: string;
  readonly peerIp: string;

  constructor(tag: string, subnet: number) {
    const id = `${tag}${process.pid % 100000}`;
    this.ns = `tsebpf-ex-${id}`;
    this.host = `eh${id}`.slice(0, 15);
    this.peer = `ep${id}`.slice(0, 15);
    this.hostIp = `10.214.${subnet}.1`;
    this.peerIp = `10.214.${subnet}.2`;
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    ip('netns', 'add', this.ns);
    try {
      ip('link', 'add', this.host, 'type', 'veth', 'peer', 'name', this.peer, 'netns', this.ns);
      ip('addr', 'add', `${this.hostIp}/24`, 'dev', this.host);
      ip('link', 'set', this.host, 'up');
      ip('-n', this.ns, 'addr', 'add', `${this.peerIp}/24`, 'dev', this.peer);
      ip('-n', this.ns, 'link', 'set', this.peer, 'up');
      ip('-n', this.ns, 'link', 'set', 'lo', 'up');
    } catch (e) {
      this[Symbol.dispose]();
      throw e;
    }
  }

  /** Runs a shell command inside the namespace; returns its standard output. */
  inNs(script: string): string {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, 'bash', '-c', script], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`in ${this.ns}: ${script}: ${r.stderr}`);
    return r.stdout;
  }

  /** Sends `count` UDP datagrams `<prefix><i>` from the peer to `host:port`. */
  sendUdpToHost(port: number, count: number, prefix = 'msg'): void {
    const js = `const s=require('dgram').createSocket('udp4');let i=0;const f=()=>i<${count}?s.send('${prefix}'+(i++),${port},'${this.hostIp}',f):s.close();f();`;
    this.inNs(`${process.execPath} -e "${js}"`);
  }

  [Symbol.dispose](): void {
    spawnSync('ip', ['link', 'del', this.host], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', this.ns], { stdio: 'ignore' });
  }
}
