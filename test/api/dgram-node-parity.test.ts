/**
 * stack.dgram against real node:dgram (over the kernel's loopback): the same calls throw the same
 * errors (class, code, message) and emit the same events in the same order.
 */
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';

type AnySocket = dgram.Socket;

/** What a caller can tell about an error: its class (instanceof, as a catch clause tests it), name, code and message. */
function outcome(f: () => unknown): { threw: false } | { threw: true; class: string; name: string; code: unknown; message: string } {
  try {
    f();
    return { threw: false };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    const cls = err instanceof RangeError ? 'RangeError' : err instanceof TypeError ? 'TypeError' : err instanceof Error ? 'Error' : typeof err;
    return { threw: true, class: cls, name: err.name, code: err.code, message: err.message };
  }
}

const SYNC_CASES: [string, (s: AnySocket) => unknown][] = [
  ['remoteAddress() before connect', (s) => s.remoteAddress()],
  ['disconnect() before connect', (s) => s.disconnect()],
  ['send() with port 0', (s) => s.send('x', 0, '127.0.0.1')],
  ['send() with port 70000', (s) => s.send('x', 70000, '127.0.0.1')],
  ['send() with no port', (s) => s.send('x')],
  ['send() with a number as message', (s) => s.send(5 as unknown as string, 1234, '127.0.0.1')],
  ['send() with a non-string address', (s) => s.send('x', 1234, 5 as unknown as string)],
  ['connect() to port 0', (s) => s.connect(0)],
  ['connect() with a port string', (s) => s.connect('x' as unknown as number)],
  ['address() before bind', (s) => s.address()],
  ['bind() twice', (s) => s.bind(0).bind(0)],
  ['connect() twice', (s) => { s.connect(9, '127.0.0.1'); s.connect(9, '127.0.0.1'); }],
  ['send() with a bad buffer list', (s) => s.send([5] as unknown as string[], 9, '127.0.0.1')],
];

describe('synchronous errors are node:dgram’s', () => {
  for (const [name, f] of SYNC_CASES) {
    it(name, () => {
      const real = dgram.createSocket('udp4');
      const net = new SimNetwork({ seed: 1 });
      const ours = net.host('10.0.0.1').dgram.createSocket('udp4') as unknown as AnySocket;
      try {
        expect(outcome(() => f(ours))).toEqual(outcome(() => f(real)));
      } finally {
        real.close();
        ours.close();
      }
    });
  }

  it('createSocket with a bad type', () => {
    const net = new SimNetwork({ seed: 1 });
    const stack = net.host('10.0.0.1');
    const bad = 'udp5' as unknown as 'udp4';
    expect(outcome(() => stack.dgram.createSocket(bad))).toEqual(outcome(() => dgram.createSocket(bad)));
  });

  it('after close(): close, send, address, bind', async () => {
    const real = dgram.createSocket('udp4');
    const net = new SimNetwork({ seed: 1 });
    const ours = net.host('10.0.0.1').dgram.createSocket('udp4') as unknown as AnySocket;
    for (const s of [real, ours]) s.close();
    for (const f of [(s: AnySocket) => s.close(), (s: AnySocket) => s.send('x', 1), (s: AnySocket) => s.address(), (s: AnySocket) => s.bind(0)]) {
      expect(outcome(() => f(ours))).toEqual(outcome(() => f(real)));
    }
  });
});

/** Record the events of a scenario on a socket, driving it until `done` or a bounded number of turns. */
async function events(s: AnySocket, drive: () => Promise<void>, run: (s: AnySocket, log: string[]) => void): Promise<string[]> {
  const log: string[] = [];
  for (const ev of ['listening', 'connect', 'close', 'error']) s.on(ev, (e?: Error & { code?: string }) => log.push(e?.code ? `${ev}:${e.code}` : ev));
  run(s, log);
  for (let i = 0; i < 20 && !log.includes('close'); i++) await drive();
  return log;
}

describe('event order is node:dgram’s', () => {
  const scenarios: [string, (s: AnySocket, log: string[]) => void][] = [
    ['bind, then close in the listening callback', (s) => s.bind(0, () => s.close())],
    ['bind then close at once', (s) => { s.bind(0); s.close(); }],
    ['connect, close in the connect callback', (s) => s.connect(9, '127.0.0.1', () => s.close())],
    ['send before bind, then close', (s, log) => { s.send('x', 9, '127.0.0.1', (e) => log.push(`sent:${e ? e.code : 'ok'}`)); s.close(); }],
    ['send, close in the send callback', (s, log) => s.send('x', 9, '127.0.0.1', (e, n) => { log.push(`sent:${e ? 'err' : n}`); s.close(); })],
  ];
  for (const [name, run] of scenarios) {
    it(name, async () => {
      const real = await events(dgram.createSocket('udp4'), () => new Promise((r) => setTimeout(r, 5)), run);
      const net = new SimNetwork({ seed: 1 });
      const stack = net.host('10.0.0.1');
      const ours = await events(stack.dgram.createSocket('udp4') as unknown as AnySocket, () => net.run(5), run);
      expect(ours).toEqual(real);
    });
  }

  it("bind to a port in use: 'error' with the same code, message and fields", async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', () => r()));
    const port = holder.address().port;
    const realErr = await new Promise<Error>((r) => dgram.createSocket('udp4').on('error', r).bind(port, '127.0.0.1'));
    holder.close();
    const net = new SimNetwork({ seed: 1 });
    const stack = net.host('10.0.0.1');
    stack.dgram.createSocket('udp4').bind(port, '127.0.0.1');
    let ourErr: Error | undefined;
    stack.dgram.createSocket('udp4').on('error', (e) => (ourErr = e)).bind(port, '127.0.0.1');
    await net.run(5);
    const fields = (e: Error) => {
      const x = e as Error & Record<string, unknown>;
      return { message: x.message, code: x.code, errno: x.errno, syscall: x.syscall, address: x.address, port: x.port };
    };
    expect(fields(ourErr!)).toEqual(fields(realErr));
  });
});
