import { exit, R2, R10, stx } from '@ts-ebpf/dsl';
import { attachSockmap, Program } from '@ts-ebpf/programs';
import { BpfMapType, mapCreate, mapUpdateElem } from '@ts-ebpf/syscall';
import { describeKernel, socketFd } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  msgApplyBytes,
  msgCorkBytes,
  msgRedirectMap,
  SK_MSG_TEMPLATES,
  SK_SKB_TEMPLATES,
  SOCKET_CTX,
  skMsg,
  skSkb,
  sockHashUpdate,
  sockMapUpdate,
  sockOps,
} from '../src/index.js';
import { u32 } from './bytes.js';
import { eventually, loopbackEachTest, sleep, text } from './tcp.js';

describeKernel('sk_skb and sk_msg programs on TCP sockets in a sockmap', () => {
  const bed = loopbackEachTest();
  function sockmap(type: number = BpfMapType.SOCKMAP): number {
    const fd = mapCreate({ mapType: type, keySize: 4, valueSize: 4, maxEntries: 4 });
    bed.fds.push(fd);
    return fd;
  }

  it('redirectProxy: bytes received by one socket are sent out of the socket the program chose', async () => {
    const map = sockmap();
    using parser = Program.load(skSkb('sk_skb/stream_parser').build(SK_SKB_TEMPLATES.wholeBuffer()));
    using verdict = Program.load(
      skSkb('sk_skb/stream_verdict').build(SK_SKB_TEMPLATES.redirectProxy({ fd: map }, 0)),
    );
    using _p = attachSockmap(parser, map);
    using _v = attachSockmap(verdict, map);
    const a = await bed.net.pair();
    const b = await bed.net.pair();
    mapUpdateElem(map, u32(0), u32(socketFd(b.accepted)));
    mapUpdateElem(map, u32(1), u32(socketFd(a.accepted)));
    a.client.write('hello through the proxy');
    await eventually(() => text(b.clientGot) === 'hello through the proxy');
    // The socket at key 0 redirects to itself: an echo.
    b.client.write('echo');
    await eventually(() => text(b.clientGot) === 'hello through the proxyecho');
    expect(text(a.acceptedGot)).toBe('');
    expect(text(b.acceptedGot)).toBe('');
    expect(text(a.clientGot)).toBe('');
  });

  it('verdictByFirstBytes: a message with the prefix arrives, a dropped one never does', async () => {
    const map = sockmap();
    using prog = Program.load(
      skMsg().build(SK_MSG_TEMPLATES.verdictByFirstBytes(new TextEncoder().encode('GET '))),
    );
    using _l = attachSockmap(prog, map);
    const c = await bed.net.pair();
    mapUpdateElem(map, u32(0), u32(socketFd(c.client)));
    c.client.write('GET /index');
    await eventually(() => text(c.acceptedGot) === 'GET /index');
    c.client.write('PUT /secret');
    await eventually(() => c.clientError !== undefined);
    expect(c.clientError?.code).toBe('EACCES');
    await sleep(100);
    expect(text(c.acceptedGot)).toBe('GET /index');
  });

  it('msgRedirectMap with ingress: a message sent on one socket is received by the socket at the key', async () => {
    const map = sockmap();
    using prog = Program.load(skMsg().build([...msgRedirectMap({ fd: map }, 1, { ingress: true }), exit()]));
    using _l = attachSockmap(prog, map);
    const from = await bed.net.pair();
    const to = await bed.net.pair();
    mapUpdateElem(map, u32(0), u32(socketFd(from.client)));
    mapUpdateElem(map, u32(1), u32(socketFd(to.client)));
    from.client.write('redirected');
    await eventually(() => text(to.clientGot) === 'redirected');
    await sleep(50);
    expect(text(from.acceptedGot)).toBe('');
  });

  it('the verifier accepts msg_apply_bytes, msg_cork_bytes, and sockmap/sockhash updates from sock_ops', () => {
    const map = sockmap();
    const hash = sockmap(BpfMapType.SOCKHASH);
    const m = skMsg();
    using _apply = Program.load(m.build([...msgApplyBytes(16), ...msgCorkBytes(8), ...m.ret('SK_PASS')]));
    const s = sockOps();
    using _ops = Program.load(
      s.build([
        s.load('local_port', R2, SOCKET_CTX),
        stx('w', R10, R2, -8),
        ...sockHashUpdate({ fd: hash }, { stack: -8 }),
        ...sockMapUpdate({ fd: map }, 0),
        ...s.ret('OK'),
      ]),
    );
  });
});
