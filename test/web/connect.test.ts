/**
 * The web-standard sockets API: WinterTC Sockets `connect()` (stack.connect) and the Direct
 * Sockets-style server (stack.listen(address, options)), over two hosts in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Stack, type StreamSocket } from '../../src/index.js';

function pair(): { net: SimNetwork; a: Stack; b: Stack } {
  const net = new SimNetwork({ seed: 3 });
  return { net, a: net.host('10.0.0.1'), b: net.host('10.0.0.2') };
}

/** Drive virtual time until `p` settles (or 120 s of virtual time pass). */
async function settle<T>(net: SimNetwork, p: Promise<T>, limitMs = 120_000): Promise<T> {
  let done = false;
  const q = p.finally(() => (done = true));
  q.catch(() => {});
  await net.runUntil(() => done, limitMs);
  if (!done) throw new Error('promise still pending after the virtual time limit');
  return q;
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = r.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** An echo server on `b`:7 that echoes each accepted socket until its EOF, then closes. */
async function echoServer(net: SimNetwork, b: Stack): Promise<void> {
  const server = b.listen('0.0.0.0', { localPort: 7 });
  const { readable } = await settle(net, server.opened);
  void (async () => {
    for await (const s of readable as unknown as AsyncIterable<StreamSocket>) {
      void s.readable.pipeTo(s.writable).catch(() => {});
    }
  })();
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('connect(): the WinterTC Sockets API over synack', () => {
  it('opened resolves with both endpoints once the handshake completes', async () => {
    const { net, a, b } = pair();
    await echoServer(net, b);
    const s = a.connect('10.0.0.2:7');
    const info = await settle(net, s.opened);
    expect(info).toMatchObject({ remoteAddress: '10.0.0.2', remotePort: 7, localAddress: '10.0.0.1' });
    expect(info.localPort).toBeGreaterThan(1023);
    expect(info.readable).toBe(s.readable);
    await settle(net, s.close());
  });

  it('echoes through streams, and writable.close() half-closes: the reply still arrives after our FIN', async () => {
    const { net, a, b } = pair();
    await echoServer(net, b);
    const s = a.connect({ hostname: '10.0.0.2', port: 7 });
    const w = s.writable.getWriter();
    await settle(net, w.write(new TextEncoder().encode('hello, ')));
    await settle(net, w.write(new TextEncoder().encode('streams')));
    await settle(net, w.close());
    expect(a.sockets()[0]!.state).toMatch(/FIN_WAIT/);
    const got = await settle(net, readAll(s.readable));
    expect(text(got)).toBe('hello, streams');
    await settle(net, s.closed);
    expect(a.stateCounts()).toEqual({ TIME_WAIT: 1 });
  });

  it('without allowHalfOpen our FIN follows the peer\'s (Cloudflare connect() default)', async () => {
    const { net, a, b } = pair();
    const server = b.listen('0.0.0.0', { localPort: 9 });
    const { readable } = await settle(net, server.opened);
    const s = a.connect('10.0.0.2:9');
    const accepted = (await settle(net, readable.getReader().read())).value!;
    await settle(net, accepted.writable.close()); // the server half-closes
    await settle(net, readAll(s.readable)); // the client sees EOF...
    await net.run(1000);
    // ...and its FIN followed: the client is the passive closer (LAST_ACK, then CLOSED)
    expect(a.stateCounts()).toEqual({});
    expect(b.stateCounts()).toEqual({ LISTEN: 1, TIME_WAIT: 1 });
    await settle(net, s.closed);
  });

  it('without allowHalfOpen, what the application already queued is sent before the FIN that follows the peer\'s', async () => {
    const { net, a, b } = pair();
    await echoServer(net, b); // pipeTo: its writes are still queued when the client's FIN arrives
    const s = a.connect('10.0.0.2:7');
    const w = s.writable.getWriter();
    const words = Array.from({ length: 10 }, (_, i) => `word${i} `);
    for (const word of words) void w.write(new TextEncoder().encode(word));
    void w.close();
    expect(text(await settle(net, readAll(s.readable)))).toBe(words.join(''));
  });

  it('with allowHalfOpen the writable stays open after the peer\'s FIN', async () => {
    const { net, a, b } = pair();
    const server = b.listen('0.0.0.0', { localPort: 9 });
    const { readable } = await settle(net, server.opened);
    const s = a.connect('10.0.0.2:9', { allowHalfOpen: true });
    const accepted = (await settle(net, readable.getReader().read())).value!;
    await settle(net, accepted.writable.close());
    await settle(net, readAll(s.readable));
    await net.run(1000);
    expect(a.stateCounts()).toEqual({ CLOSE_WAIT: 1 });
    const w = s.writable.getWriter();
    await settle(net, w.write(new Uint8Array([1, 2, 3])));
    await settle(net, w.close());
    expect(Array.from(await settle(net, readAll(accepted.readable)))).toEqual([1, 2, 3]);
  });

  it('a refused connection rejects opened and closed with a NetworkError that keeps code ECONNREFUSED', async () => {
    const { net, a } = pair();
    const s = a.connect('10.0.0.2:81');
    const err = await settle(net, s.opened).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DOMException);
    expect(err).toMatchObject({ name: 'NetworkError', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.2:81' });
    await expect(s.closed).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(s.readable.getReader().read()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('connect() arguments', () => {
  const { a } = pair();
  it.each([
    ['10.0.0.2', 'ERR_INVALID_ARG_VALUE'],
    ['10.0.0.2:0', 'ERR_SOCKET_BAD_PORT'],
    ['10.0.0.2:65536', 'ERR_SOCKET_BAD_PORT'],
    ['example.com:80', 'ERR_INVALID_IP_ADDRESS'],
    ['::1:80', 'ERR_INVALID_ARG_VALUE'],
  ])('"%s" is refused with a TypeError (%s)', (address, code) => {
    expect(() => a.connect(address)).toThrow(TypeError);
    expect(() => a.connect(address)).toThrow(expect.objectContaining({ code }));
  });

  it('"[v6]:port" is an IPv6 address', () => {
    const net = new SimNetwork();
    const h = net.host('fd00::1');
    net.host('fd00::2');
    const s = h.connect('[fd00::2]:80');
    expect(h.sockets()[0]).toMatchObject({ remoteAddress: 'fd00::2', remotePort: 80, state: 'SYN_SENT' });
    void s.close();
  });

  it('secureTransport "on" and "starttls" are refused as NotSupportedError: synack has no TLS', () => {
    for (const secureTransport of ['on', 'starttls'] as const) {
      expect(() => a.connect('10.0.0.2:443', { secureTransport })).toThrow(expect.objectContaining({ name: 'NotSupportedError', code: 'ERR_TLS_UNSUPPORTED' }));
    }
    expect(a.sockets()).toEqual([]);
  });
});

describe('backpressure is the TCP window', () => {
  it('a reader that stops reading closes the window: the peer\'s writes stop resolving', async () => {
    const { net, a, b } = pair();
    const server = b.listen('0.0.0.0', { localPort: 9, readableHighWaterMark: 1024 });
    const { readable } = await settle(net, server.opened);
    const s = a.connect('10.0.0.2:9');
    await settle(net, s.opened);
    const accepted = (await settle(net, readable.getReader().read())).value!;
    const w = s.writable.getWriter();
    let written = 0;
    let blocked = false;
    for (let i = 0; i < 200 && !blocked; i++) {
      const p = w.write(new Uint8Array(16 * 1024));
      let ok = false;
      void p.then(() => (ok = true));
      await net.run(2000);
      if (ok) written += 16 * 1024;
      else blocked = true;
    }
    expect(blocked).toBe(true);
    // the receiver holds its buffer (256 KiB) in the TCB plus the stream's 1 KiB queue; the
    // sender its own send buffer: nothing more moves, and the window shows zero
    const serverConn = b.sockets().find((x) => x.state === 'ESTABLISHED')!;
    expect(serverConn.recvQ).toBeGreaterThan(200 * 1024);
    expect(written).toBeLessThan(1024 * 1024);
    // reading resumes the flow
    const reader = accepted.readable.getReader();
    let got = 0;
    for (let i = 0; i < 5000 && got < written; i++) {
      const { value } = await settle(net, reader.read());
      got += value!.length;
    }
    expect(got).toBeGreaterThanOrEqual(written);
  });

  it('a server that does not read its accepted sockets leaves handshakes in the accept queue', async () => {
    const { net, a, b } = pair();
    const server = b.listen('0.0.0.0', { localPort: 9, backlog: 8 });
    await settle(net, server.opened);
    const clients = Array.from({ length: 4 }, () => a.connect('10.0.0.2:9'));
    await net.run(1000);
    // one socket sits in the stream's queue (its high-water mark); the rest wait to be accepted
    const listener = b.sockets().find((x) => x.state === 'LISTEN')!;
    expect(listener.recvQ).toBe(3);
    for (const c of clients) void c.close();
  });

  it('the server readable ends on close(), and the port is free again', async () => {
    const { net, b } = pair();
    const server = b.listen('0.0.0.0', { localPort: 9 });
    const { readable, localPort, localAddress } = await settle(net, server.opened);
    expect([localAddress, localPort]).toEqual(['0.0.0.0', 9]);
    await server.close();
    expect((await readable.getReader().read()).done).toBe(true);
    expect(b.stateCounts()).toEqual({});
    const again = b.listen('0.0.0.0', { localPort: 9 });
    await expect(again.opened).resolves.toMatchObject({ localPort: 9 });
  });

  it('listening on a port in use rejects opened with a NetworkError coded EADDRINUSE', async () => {
    const { b } = pair();
    b.listen('0.0.0.0', { localPort: 9 });
    const second = b.listen('0.0.0.0', { localPort: 9 });
    await expect(second.opened).rejects.toMatchObject({ name: 'NetworkError', code: 'EADDRINUSE' });
  });
});

describe('no TCB is re-entered from user code', () => {
  it('a write and a close made from a \'transition\' listener wait for the segment in progress, then go out', async () => {
    const { net, a, b } = pair();
    await echoServer(net, b);
    const s = a.connect('10.0.0.2:7');
    const w = s.writable.getWriter();
    let wrote = false;
    a.on('transition', (e: { to: string }) => {
      if (e.to !== 'ESTABLISHED' || wrote) return;
      wrote = true;
      // called while the stack is inside the SYN-ACK's processing
      void w.write(new TextEncoder().encode('from a listener'));
      void w.close();
    });
    expect(text(await settle(net, readAll(s.readable)))).toBe('from a listener');
  });
});
