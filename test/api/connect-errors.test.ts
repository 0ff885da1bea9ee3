/**
 * The errors a user can cause on the connect path, side by side with real node:net over loopback:
 * connect() on a socket that is already connecting or connected (Linux's connect(2) answers:
 * EALREADY, success once, then EISCONN), and lookup answers that cannot be connected to
 * (ERR_INVALID_IP_ADDRESS, ERR_INVALID_ADDRESS_FAMILY). Class, name, code, errno, syscall and
 * message are compared, with the two worlds' addresses and ports put in the same words.
 */
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { SimNetwork, type Socket } from '../../src/index.js';

interface NodeError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  host?: string;
}

/** What a program can test of an error; `names` maps this world's addresses to shared words. */
function fields(e: unknown, names: [string, string][] = []): Record<string, unknown> {
  const err = e as NodeError;
  let message = err.message;
  for (const [from, to] of names) message = message.split(from).join(to);
  const cls = err instanceof RangeError ? 'RangeError' : err instanceof TypeError ? 'TypeError' : 'Error';
  return { class: cls, name: err.name, code: err.code, errno: err.errno, syscall: err.syscall, message, host: err.host };
}

const EVENTS = ['connectionAttempt', 'connect', 'ready', 'error', 'close'] as const;

/** The socket's events in order, an error as `error:CODE`. */
function record(s: net.Socket | Socket): string[] {
  const log: string[] = [];
  for (const ev of EVENTS) (s as net.Socket).on(ev, (x?: NodeError) => log.push(ev === 'error' ? `error:${x?.code}` : ev));
  return log;
}

/** A node:net server on loopback; its port. */
async function nodeServer(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((s) => s.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Drive the simulator and the real event loop together until `done` (bounded). */
async function until(sim: SimNetwork, done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 300 && !done(); i++) {
    await sim.run(5);
    await new Promise((r) => setTimeout(r, 1));
  }
  return done();
}

function world(): { sim: SimNetwork; client: Socket; close: () => void } {
  const sim = new SimNetwork({ seed: 5 });
  const a = sim.host('10.0.0.1');
  const b = sim.host('10.0.0.2');
  const srv = b.net.createServer((s: Socket) => s.on('error', () => {})).listen(80);
  return { sim, client: new (a.net.Socket)(), close: () => srv.close() };
}

describe('socket.connect() on a socket that has a connection (connect(2) on the same socket)', () => {
  it('while the handshake runs: the socket is destroyed with EALREADY naming both ends, after both attempts are announced', async () => {
    const { server, port } = await nodeServer();
    const theirs = new net.Socket();
    const theirLog = record(theirs);
    let theirErr: NodeError | null = null;
    theirs.on('error', (e) => (theirErr = e));
    theirs.connect(port, '127.0.0.1');
    theirs.connect(port, '127.0.0.1');
    await new Promise((r) => theirs.once('close', r));
    const theirLocal = `127.0.0.1:${theirs.localPort ?? (theirErr!.message.match(/Local \(127\.0\.0\.1:(\d+)\)/)?.[1] ?? '?')}`;
    server.close();

    const { sim, client: ours, close } = world();
    const ourLog = record(ours);
    let ourErr: NodeError | null = null;
    ours.on('error', (e: NodeError) => (ourErr = e));
    ours.connect(80, '10.0.0.2');
    const ourLocal = `10.0.0.1:${ours.localPort}`;
    ours.connect(80, '10.0.0.2');
    expect(await until(sim, () => ours.destroyed && ourLog.includes('close'))).toBe(true);
    close();

    expect(ourLog).toEqual(theirLog);
    expect(theirLog).toEqual(['connectionAttempt', 'connectionAttempt', 'error:EALREADY', 'close']);
    expect(fields(ourErr, [[ourLocal, 'LOCAL'], ['10.0.0.2:80', 'PEER']])).toEqual(
      fields(theirErr, [[theirLocal, 'LOCAL'], [`127.0.0.1:${port}`, 'PEER']]),
    );
    expect(fields(ourErr).message).toBe(`connect EALREADY 10.0.0.2:80 - Local (${ourLocal})`);
  });

  it("once connected: the first connect() completes at once ('connect' again, with its callback), the next fails with EISCONN", async () => {
    const { server, port } = await nodeServer();
    const theirs = net.connect(port, '127.0.0.1');
    await once(theirs, 'connect');
    const theirLog = record(theirs);
    let theirErr: NodeError | null = null;
    theirs.on('error', (e) => (theirErr = e));
    theirs.connect(port, '127.0.0.1', () => theirLog.push('callback'));
    await once(theirs, 'ready');
    const theirLocal = `127.0.0.1:${theirs.localPort}`;
    theirs.connect(port, '127.0.0.1');
    await new Promise((r) => theirs.once('close', r));
    server.close();

    const { sim, client: ours, close } = world();
    ours.connect(80, '10.0.0.2');
    expect(await until(sim, () => !ours.connecting)).toBe(true);
    const ourLog = record(ours);
    let ourErr: NodeError | null = null;
    ours.on('error', (e: NodeError) => (ourErr = e));
    ours.connect(80, '10.0.0.2', () => ourLog.push('callback'));
    expect(ours.connecting).toBe(true); // as node:net's, until the answer
    expect(await until(sim, () => ourLog.includes('ready'))).toBe(true);
    const ourLocal = `10.0.0.1:${ours.localPort}`;
    ours.connect(80, '10.0.0.2');
    expect(await until(sim, () => ourLog.includes('close'))).toBe(true);
    close();

    expect(ourLog).toEqual(theirLog);
    expect(theirLog).toEqual(['connectionAttempt', 'connect', 'callback', 'ready', 'connectionAttempt', 'error:EISCONN', 'close']);
    expect(fields(ourErr, [[ourLocal, 'LOCAL'], ['10.0.0.2:80', 'PEER']])).toEqual(
      fields(theirErr, [[theirLocal, 'LOCAL'], [`127.0.0.1:${port}`, 'PEER']]),
    );
  });
});

describe("net.connect(): a lookup answer that cannot be connected to, as node:net's lookupAndConnect", () => {
  const cases: [string, string, number][] = [
    ['not an IP address: TypeError ERR_INVALID_IP_ADDRESS', 'not-an-ip', 4],
    ['a family other than 4 or 6: RangeError ERR_INVALID_ADDRESS_FAMILY naming the host asked for', '10.0.0.9', 5],
  ];
  for (const autoSelectFamily of [false, true]) {
    for (const [name, address, family] of cases) {
      it(`${name} (autoSelectFamily: ${autoSelectFamily})`, async () => {
        // lookup answers in dns.lookup's two shapes: (address, family), or all: true's list
        const lookup = (_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void): void =>
          o.all ? cb(null, [{ address, family }]) : cb(null, address, family);
        const opts = { port: 80, host: 'example.test', autoSelectFamily, lookup };
        const theirs = net.connect(opts as net.NetConnectOpts);
        const theirLog = record(theirs);
        const [theirErr] = (await once(theirs, 'error')) as [NodeError];

        const { sim, close } = world();
        const ours = sim.host('10.0.0.3').net.connect(opts as never);
        const ourLog = record(ours);
        let ourErr: NodeError | null = null;
        ours.on('error', (e: NodeError) => (ourErr = e));
        expect(await until(sim, () => ourErr !== null)).toBe(true);
        close();

        expect(fields(ourErr)).toEqual(fields(theirErr));
        expect([ourErr!.port, ourLog]).toEqual([theirErr.port, theirLog]);
      });
    }
  }
});
