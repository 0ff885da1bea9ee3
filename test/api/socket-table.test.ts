/**
 * The socket table as `ss -tano` shows it: `stack.sockets()` rows (state, endpoints, queues, the
 * running timer and its time left), `stack.stateCounts()` as the netstat one-liner, and every
 * state change published on node:diagnostics_channel.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { SimNetwork, type SocketInfo, type Socket, type Stack, type TransitionEvent } from '../../src/index.js';

function world(): { net: SimNetwork; a: Stack; b: Stack } {
  const net = new SimNetwork({ seed: 1 });
  return { net, a: net.host('10.0.0.1'), b: net.host('10.0.0.2') };
}

function rowOf(stack: Stack, localPort: number, remotePort?: number): SocketInfo | undefined {
  return stack
    .sockets()
    .find((r) => r.state !== 'LISTEN' && r.localPort === localPort && (remotePort === undefined || r.remotePort === remotePort));
}

function countRows(rows: SocketInfo[]): Record<string, number> {
  const n: Record<string, number> = {};
  for (const r of rows) n[r.state] = (n[r.state] ?? 0) + 1;
  return n;
}

async function connectAll(net: SimNetwork, a: Stack, count: number, accepted: Socket[]): Promise<Socket[]> {
  const before = accepted.length;
  const clients = Array.from({ length: count }, () => a.net.connect(80, '10.0.0.2'));
  expect(await net.runUntil(() => accepted.length === before + count && clients.every((c) => !c.connecting), 10_000)).toBe(true);
  return clients;
}

describe('the socket table', () => {
  it('lists the listener and both ends of a connection with state, addresses and ports', async () => {
    const { net, a, b } = world();
    const accepted: Socket[] = [];
    b.net.createServer((s) => accepted.push(s)).listen(80);
    const [c] = await connectAll(net, a, 1, accepted);
    const port = c!.localPort!;
    // the table's columns; `info` (ss -i's TCP_INFO, test/cli/ss.test.ts) is checked apart
    const table = (s: typeof a) => s.sockets().map(({ info: _info, ...row }) => row);
    expect(table(b)).toEqual([
      { state: 'LISTEN', localAddress: '0.0.0.0', localPort: 80, remoteAddress: '*', remotePort: 0, recvQ: 0, sendQ: 511, timer: null, orphan: false },
      { state: 'ESTABLISHED', localAddress: '10.0.0.2', localPort: 80, remoteAddress: '10.0.0.1', remotePort: port, recvQ: 0, sendQ: 0, timer: null, orphan: false },
    ]);
    expect(table(a)).toEqual([
      { state: 'ESTABLISHED', localAddress: '10.0.0.1', localPort: port, remoteAddress: '10.0.0.2', remotePort: 80, recvQ: 0, sendQ: 0, timer: null, orphan: false },
    ]);
    expect(b.sockets()[0]!.info).toBeUndefined();
    expect(a.sockets()[0]!.info).toMatchObject({ mss: 1448, cwnd: 10, retrans: 0, totalRetrans: 0 });
  });

  it('recvQ counts bytes received and not read, sendQ bytes sent and not yet acknowledged', async () => {
    const { net, a, b } = world();
    const accepted: Socket[] = [];
    b.net.createServer({ pauseOnConnect: true }, (s) => accepted.push(s)).listen(80);
    const [c] = await connectAll(net, a, 1, accepted);
    c!.write(Buffer.alloc(1000));
    await net.run(100);
    expect(rowOf(b, 80)).toMatchObject({ recvQ: 1000, sendQ: 0 });
    expect(rowOf(a, c!.localPort!)).toMatchObject({ recvQ: 0, sendQ: 0 });
    net.impair('10.0.0.1', '10.0.0.2', { loss: 1 });
    c!.write(Buffer.alloc(700));
    await net.run(100);
    expect(rowOf(a, c!.localPort!)).toMatchObject({ recvQ: 0, sendQ: 700 });
    expect(rowOf(b, 80)).toMatchObject({ recvQ: 1000 });
    accepted[0]!.resume();
    await net.run(100);
    expect(rowOf(b, 80)!.recvQ).toBe(0);
  });

  it("names the running timer like `ss -o`: retransmit (with its count), keepalive, and timewait's time left counting down", async () => {
    const { net, a, b } = world();
    const accepted: Socket[] = [];
    b.net.createServer((s) => accepted.push(s)).listen(80);
    const [lossy, idle, closing] = await connectAll(net, a, 3, accepted);

    idle!.setKeepAlive(true, 5000);
    await net.run(1000);
    expect(rowOf(a, idle!.localPort!)!.timer).toEqual({ name: 'keepalive', ms: 4000, retransmits: 0 });

    net.impair('10.0.0.1', '10.0.0.2', { loss: 1 });
    lossy!.write('lost');
    const first = rowOf(a, lossy!.localPort!)!.timer!;
    expect(first.name).toBe('retransmit');
    expect(first.retransmits).toBe(0);
    // the first expiry is RACK-TLP's tail loss probe (RFC 8985 §7), which `ss` also shows as the
    // retransmit timer ("on"); it does not count as a timeout
    await net.run(first.ms + 1);
    const afterProbe = rowOf(a, lossy!.localPort!)!.timer!;
    expect(afterProbe.name).toBe('retransmit');
    expect(afterProbe.retransmits).toBe(0);
    await net.run(afterProbe.ms + 1);
    const second = rowOf(a, lossy!.localPort!)!.timer!;
    expect(second.name).toBe('retransmit');
    expect(second.retransmits).toBe(1);
    net.impairAll({});
    await net.run(5000);
    expect(rowOf(a, lossy!.localPort!)!.timer).toBeNull();

    let closed = false;
    closing!.on('close', () => (closed = true));
    closing!.end();
    expect(await net.runUntil(() => closed, 10_000)).toBe(true);
    const tw1 = rowOf(a, closing!.localPort!)!;
    expect(tw1.state).toBe('TIME_WAIT');
    expect(tw1.timer!.name).toBe('timewait');
    expect(tw1.timer!.ms).toBeLessThanOrEqual(60_000);
    expect(tw1.timer!.ms).toBeGreaterThan(59_000);
    await net.run(10_000);
    const tw2 = rowOf(a, closing!.localPort!)!;
    expect(tw2.timer!.ms).toBe(tw1.timer!.ms - 10_000);
    await net.run(tw2.timer!.ms + 1);
    expect(rowOf(a, closing!.localPort!)).toBeUndefined();
  });

  it('stateCounts() equals counting the rows, for a population of open, half-closed and closed connections', async () => {
    const { net, a, b } = world();
    const accepted: Socket[] = [];
    // the server never closes on its own: allowHalfOpen, and it ends only the connections told to
    const serverEndsOnEnd = new Set<number>();
    b.net
      .createServer({ allowHalfOpen: true }, (s) => {
        accepted.push(s);
        s.resume();
        s.on('end', () => {
          if (serverEndsOnEnd.has(s.remotePort!)) s.end();
        });
      })
      .listen(80);
    const clients = await connectAll(net, a, 10, accepted);
    const byClientPort = new Map(accepted.map((s) => [s.remotePort!, s]));
    for (const c of clients) c.resume();
    // 0-2: the client closes, the server answers with its FIN → TIME_WAIT at the client
    for (const c of clients.slice(0, 3)) {
      serverEndsOnEnd.add(c.localPort!);
      c.end();
    }
    // 3-4: the client closes, the server never does → FIN_WAIT_2 at the client, CLOSE_WAIT at the server
    for (const c of clients.slice(3, 5)) c.end();
    // 5-6: the server closes first, the client follows by default → TIME_WAIT at the server
    for (const c of clients.slice(5, 7)) byClientPort.get(c.localPort!)!.end();
    // 7-9 stay open
    await net.run(1000);

    expect(a.stateCounts()).toEqual({ ESTABLISHED: 3, FIN_WAIT_2: 2, TIME_WAIT: 3 });
    expect(b.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 3, CLOSE_WAIT: 2, TIME_WAIT: 2 });
    expect(countRows(a.sockets())).toEqual(a.stateCounts());
    expect(countRows(b.sockets())).toEqual(b.stateCounts());
    // the half-closed pairs line up: each server CLOSE_WAIT is a client FIN_WAIT_2
    const closeWait = b.sockets().filter((r) => r.state === 'CLOSE_WAIT').map((r) => r.remotePort).sort();
    const finWait2 = a.sockets().filter((r) => r.state === 'FIN_WAIT_2').map((r) => r.localPort).sort();
    expect(closeWait).toEqual(finWait2);
    expect(closeWait).toEqual(clients.slice(3, 5).map((c) => c.localPort).sort());

    // after 2MSL the TIME_WAITs are gone, the rest is unchanged
    await net.run(61_000);
    expect(a.stateCounts()).toEqual({ ESTABLISHED: 3, FIN_WAIT_2: 2 });
    expect(b.stateCounts()).toEqual({ LISTEN: 1, ESTABLISHED: 3, CLOSE_WAIT: 2 });
    expect(countRows(b.sockets())).toEqual(b.stateCounts());
  });

  it("publishes every transition on diagnostics_channel 'synack:tcp:transition' with t, host, local, remote, from and to", async () => {
    const { net, a, b } = world();
    const events: TransitionEvent[] = [];
    const onEvent = (m: unknown) => events.push(m as TransitionEvent);
    diagnostics_channel.subscribe('synack:tcp:transition', onEvent);
    try {
      b.net.createServer((s) => s.resume()).listen(80);
      const c = a.net.connect(80, '10.0.0.2');
      c.resume();
      let closed = false;
      c.on('close', () => (closed = true));
      await net.run(10);
      c.end();
      expect(await net.runUntil(() => closed, 10_000)).toBe(true);
      await net.run(61_000);
      const local = `10.0.0.1:${c.localPort}`;
      const client = events.filter((e) => e.host === '10.0.0.1');
      expect(client.map((e) => `${e.from}>${e.to}`)).toEqual([
        'CLOSED>SYN_SENT',
        'SYN_SENT>ESTABLISHED',
        'ESTABLISHED>FIN_WAIT_1',
        'FIN_WAIT_1>FIN_WAIT_2',
        'FIN_WAIT_2>TIME_WAIT',
        'TIME_WAIT>CLOSED',
      ]);
      for (const e of client) {
        expect(e.local).toBe(local);
        expect(e.remote).toBe('10.0.0.2:80');
        expect(typeof e.t).toBe('number');
      }
      expect(client[0]!.t).toBe(0);
      // TIME_WAIT lasts 2MSL = 60 s of the stack's clock
      expect(client[5]!.t - client[4]!.t).toBe(60_000);
      const server = events.filter((e) => e.host === '10.0.0.2');
      expect(server.map((e) => e.to)).toEqual(['LISTEN', 'SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
      for (const e of server) {
        expect(e.local).toBe('10.0.0.2:80');
        expect(e.remote).toBe(local);
      }
    } finally {
      diagnostics_channel.unsubscribe('synack:tcp:transition', onEvent);
    }
    // unsubscribed: nothing more arrives
    const n = events.length;
    const c2 = a.net.connect(80, '10.0.0.2');
    await net.runUntil(() => !c2.connecting, 1000);
    expect(events.length).toBe(n);
  });
});
