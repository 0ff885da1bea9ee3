/**
 * The socket layer's shortcuts behave as what they short-cut: emit() of an event nobody listens to
 * returns false as EventEmitter's emit does (compared with real node:net's Socket), reads of a
 * small piece hand over a Buffer of exactly its bytes, a socket built without stream options
 * has the stream state of one built with them, and an accepted socket whose data came before the
 * accept emits its events in node:net's order.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';

describe('Socket#emit: the shortcut for events nobody listens to', () => {
  it('returns what node:net returns, and still throws for an unheard error', () => {
    const sim = new SimNetwork();
    const ours = sim.host('10.0.0.1').net.Socket();
    const node = new net.Socket();
    for (const s of [ours, node] as net.Socket[]) {
      expect(s.emit('nobody-listens', 1, 2)).toBe(false);
      expect(s.emit('readable')).toBe(false);
      expect(s.emit(Symbol('x'))).toBe(false);
      const seen: unknown[] = [];
      s.on('custom', (...a: unknown[]) => seen.push(a));
      expect(s.emit('custom', 1, 2)).toBe(true);
      expect(seen).toEqual([[1, 2]]);
      s.removeAllListeners('custom');
      expect(s.emit('custom', 3)).toBe(false);
      expect(() => s.emit('error', new Error('unheard'))).toThrow('unheard');
      // names that an object literal inherits reach EventEmitter's emit as in Node
      expect(() => s.emit('toString')).not.toThrow();
    }
    ours.destroy();
    node.destroy();
    sim.close();
  });

  it("'close' still carries hadError, and 'end' still marks the peer's end", async () => {
    const sim = new SimNetwork();
    const a = sim.host('10.0.0.1');
    const b = sim.host('10.0.0.2');
    b.net.createServer((s) => s.end('bye')).listen(80);
    const c = a.net.connect(80, '10.0.0.2');
    const events: unknown[] = [];
    c.on('end', () => events.push('end'));
    c.on('close', (hadError: boolean) => events.push(['close', hadError]));
    c.resume();
    await sim.runUntil(() => c.destroyed && events.length === 2, 5000);
    expect(events).toEqual(['end', ['close', false]]);
    sim.close();
  });
});

describe('reads of small pieces', () => {
  it('hand over Buffers of exactly the bytes sent, for every size around the copy threshold', async () => {
    const sim = new SimNetwork();
    const a = sim.host('10.0.0.1');
    const b = sim.host('10.0.0.2');
    const sizes = [1, 16, 63, 64, 65, 66, 200, 1460];
    const payload = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));
    const got: Buffer[] = [];
    b.net.createServer((s) => {
      s.on('data', (d: Buffer) => {
        expect(Buffer.isBuffer(d)).toBe(true);
        got.push(Buffer.from(d));
      });
    }).listen(80);
    const c = a.net.connect(80, '10.0.0.2');
    c.setNoDelay(true);
    for (const n of sizes) {
      c.write(payload(n));
      await sim.run(50); // one piece per read
    }
    expect(Buffer.concat(got)).toEqual(Buffer.concat(sizes.map(payload)));
    c.destroy();
    sim.close();
  });
});

describe('new Socket(): the stream built without options when only defaults apply', () => {
  it('has the same allowHalfOpen and buffer sizes as node:net', () => {
    const sim = new SimNetwork();
    const S = sim.host('10.0.0.1').net.Socket;
    for (const opts of [undefined, {}, { allowHalfOpen: true }, { allowHalfOpen: false }, { highWaterMark: 1000 }, { allowHalfOpen: true, readableHighWaterMark: 7 }]) {
      const ours = new S(opts);
      const node = new net.Socket(opts);
      expect([ours.allowHalfOpen, ours.readableHighWaterMark, ours.writableHighWaterMark]).toEqual([
        node.allowHalfOpen,
        node.readableHighWaterMark,
        node.writableHighWaterMark,
      ]);
      ours.destroy();
      node.destroy();
    }
    sim.close();
  });
});

describe('an accepted socket whose data came before the accept', () => {
  /** every event name each side emits, in order: the server's socket and the client */
  async function eventsOf(setup: (onConn: (s: net.Socket) => void, onClient: (c: net.Socket) => void) => void): Promise<{ server: string[]; client: string[] }> {
    const server: string[] = [];
    const client: string[] = [];
    const trace = (s: net.Socket, log: string[]): void => {
      const emit = s.emit;
      s.emit = function (this: net.Socket, ev: string | symbol, ...a: unknown[]): boolean {
        if (typeof ev === 'string') log.push(ev);
        return emit.call(this, ev, ...a);
      } as typeof s.emit;
    };
    await new Promise<void>((done) => {
      setup(
        (s) => {
          trace(s, server);
          s.on('data', () => s.end('pong'));
          s.on('close', () => setTimeout(done, 20));
        },
        (c) => {
          trace(c, client);
          c.on('connect', () => c.write('ping'));
          c.on('data', () => {});
        },
      );
    });
    return { server, client };
  }

  it("emits 'resume' before 'data' and the rest in node:net's order (the data is told a turn later, as a read callback)", async () => {
    const node = await eventsOf((onConn, onClient) => {
      const srv = net.createServer(onConn).listen(0, '127.0.0.1', () => {
        const c = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1');
        onClient(c);
        c.on('close', () => srv.close());
      });
    });
    const sim = new SimNetwork({ clock: 'real' });
    const a = sim.host('10.0.0.1');
    const b = sim.host('10.0.0.2');
    const ours = await eventsOf((onConn, onClient) => {
      b.net.createServer(onConn as never).listen(80, '10.0.0.2');
      onClient(a.net.connect(80, '10.0.0.2') as unknown as net.Socket);
    });
    sim.close();
    expect(node.server).toEqual(['resume', 'data', 'prefinish', 'finish', 'readable', 'end', 'close']);
    expect(ours).toEqual(node);
  });
});
