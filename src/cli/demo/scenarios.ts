/**
 * The demo's scenarios: each one a life of a TCP connection as the classic texts draw it, run
 * between a client (10.0.0.1) and a server (10.0.0.2) on the simulated network in virtual time.
 * Together they take every edge of the state diagram (observe/edges.ts); edge-scenarios.ts holds
 * the ones that exist for the rarer edges.
 */
import '../../api/net.js'; // stack.net
import type { Socket } from '../../api/socket.js';
import { EDGE_SCENARIOS } from './edge-scenarios.js';
import { CLIENT, SERVER, closed, connect, errorNote, must, serve, until, waitTimeWait, halfOpenPair, type Scenario } from './scenario-kit.js';

export { CLIENT, SERVER, ScenarioStopped, type DemoContext, type Scenario } from './scenario-kit.js';

export const SCENARIOS: Scenario[] = [
  {
    name: 'handshake-and-close',
    title: 'Three-way handshake, then the client closes first',
    about:
      'SYN, SYN-ACK, ACK open the connection. The client closes first (active close): its FIN takes one sequence ' +
      'number, the server acknowledges it with ack = FIN seq + 1 and sits in CLOSE_WAIT until its application ' +
      'closes too; then the server FIN and the last ACK. The client holds TIME_WAIT for 2MSL (60 s) before CLOSED.',
    async run(ctx) {
      serve(ctx, 80, {}, (s) => s.on('data', (d: Buffer) => s.write(`echo ${d}`)));
      const c = await connect(ctx, 80);
      let reply = false;
      c.on('data', () => (reply = true));
      c.write('hello');
      await until(ctx, 'the reply', () => reply);
      const done = closed(c);
      c.end();
      await until(ctx, 'the close', () => done() && ctx.server.connectionCount === 0);
      ctx.snapshot('after the four-way close');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'server-closes-first',
    title: 'HTTP-style: the server closes first and holds TIME_WAIT',
    about:
      'With Connection: close the server answers and closes first, so the server, not the client, performs the ' +
      'active close and keeps TIME_WAIT for 2MSL. At 1,000 such requests a second that is the TIME_WAIT pile-up ' +
      'seen on busy web servers; HTTP/1.1 keep-alive exists largely to avoid it.',
    async run(ctx) {
      serve(ctx, 80, {}, (s) =>
        s.on('data', () => s.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')),
      );
      const c = await connect(ctx, 80);
      const done = closed(c);
      c.write('GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n');
      c.resume();
      await until(ctx, 'the close', () => done() && ctx.client.connectionCount === 0);
      ctx.snapshot('after the server closed first');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'half-close',
    title: 'Half-close: the client stops sending, the server keeps talking',
    about:
      'TCP is full duplex and each direction closes on its own. The client sends its request and a FIN ' +
      '(FIN_WAIT_1, then FIN_WAIT_2 once ACKed) but keeps reading; the server, in CLOSE_WAIT, still sends ' +
      'three more chunks before closing its side (LAST_ACK).',
    async run(ctx) {
      serve(ctx, 7, { allowHalfOpen: true }, (s) => {
        s.resume();
        s.on('end', () => {
          let n = 0;
          const tick = () => {
            if (++n <= 3) {
              s.write(`chunk ${n}\n`);
              ctx.net.clock.schedule(ctx.net.now() + 100, tick);
            } else s.end();
          };
          tick();
        });
      });
      const c = await connect(ctx, 7, { allowHalfOpen: true });
      const done = closed(c);
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString()));
      c.end('request');
      await until(ctx, 'the close', () => done() && ctx.server.connectionCount === 0);
      ctx.notes.push(`client read after its own FIN: ${JSON.stringify(got)}`);
      ctx.snapshot('after both directions closed');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'simultaneous-open',
    title: 'Simultaneous open: both ends send SYN at once',
    about:
      'Both hosts connect to each other at the same moment, each from the port the other targets. The SYNs ' +
      'cross: each side goes SYN_SENT → SYN_RCVD and answers with SYN-ACK; each SYN-ACK completes the other ' +
      'side, and both reach ESTABLISHED with no listener anywhere (RFC 9293 Figure 7).',
    async run(ctx) {
      const a = ctx.client.net.connect({ port: 6000, host: SERVER, localPort: 5000, allowHalfOpen: true });
      const b = ctx.server.net.connect({ port: 5000, host: CLIENT, localPort: 6000, allowHalfOpen: true });
      errorNote(ctx, 'client', a);
      errorNote(ctx, 'server', b);
      let up = 0;
      a.once('connect', () => up++);
      b.once('connect', () => up++);
      await must(ctx, 'both connects', () => up === 2);
      a.resume();
      b.resume();
      const da = closed(a);
      const db = closed(b);
      a.end();
      await ctx.net.run(50);
      b.end();
      await until(ctx, 'the close', () => da() && db());
      ctx.snapshot('after the close');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'simultaneous-close',
    title: 'Simultaneous close: both FINs cross (CLOSING)',
    about:
      'Both applications close at the same moment. Each side sends its FIN (FIN_WAIT_1) and receives the ' +
      "other's FIN before the ACK of its own: that is CLOSING, the rare state. The ACKs then take both sides " +
      'to TIME_WAIT: here both ends wait 2MSL.',
    async run(ctx) {
      const { client: c, server } = await halfOpenPair(ctx);
      const dc = closed(c);
      const ds = closed(server);
      c.end();
      server.end();
      await until(ctx, 'the close', () => dc() && ds());
      ctx.snapshot('after the simultaneous close');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'lost-final-ack',
    title: "Lost final ACK: why TIME_WAIT exists",
    about:
      "The client's last ACK is lost. The server, in LAST_ACK, times out and retransmits its FIN. Because the " +
      'client is still in TIME_WAIT (not CLOSED, which would answer with RST), it acknowledges the FIN again ' +
      'and restarts its 2MSL wait; the server reaches CLOSED cleanly.',
    async run(ctx) {
      serve(ctx, 80, {}, (s) => s.resume());
      const c = await connect(ctx, 80);
      c.resume();
      const done = closed(c);
      let armed = false;
      ctx.client.on('transition', (e: { to: string }) => {
        if (e.to === 'FIN_WAIT_2' && !armed) {
          armed = true;
          ctx.net.impair(CLIENT, SERVER, { loss: 1 });
          const off = ctx.net.onPacket((ev) => {
            if (ev.dropped && ev.from === CLIENT) {
              ctx.net.impair(CLIENT, SERVER, {});
              off();
            }
          });
        }
      });
      c.end();
      await until(ctx, 'the close', () => done() && ctx.server.connectionCount === 0);
      ctx.snapshot('after the retransmitted FIN was acknowledged');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'rst-abort',
    title: 'Abort with RST',
    about:
      'Instead of a FIN, the client aborts (SO_LINGER 0, socket.resetAndDestroy()): one RST ends the ' +
      'connection on both sides at once, with no TIME_WAIT anywhere. The server application sees ECONNRESET.',
    async run(ctx) {
      serve(ctx, 80, {}, (s) => s.resume());
      const c = await connect(ctx, 80);
      c.write('some data');
      await ctx.net.run(100);
      c.resetAndDestroy();
      await until(ctx, 'the reset', () => ctx.server.connectionCount === 0 && ctx.client.connectionCount === 0);
      ctx.snapshot('after the RST');
    },
  },
  {
    name: 'refused',
    title: 'Connection refused: RST answers a SYN',
    about:
      'Nothing listens on port 81, so the server answers the SYN with RST+ACK (RFC 9293 §3.10.7.1): the client ' +
      'goes from SYN_SENT straight to CLOSED and connect() fails with ECONNREFUSED.',
    async run(ctx) {
      ctx.server.net.createServer().listen(80, SERVER);
      const c = ctx.client.net.connect(81, SERVER);
      errorNote(ctx, 'client', c);
      await until(ctx, 'the refusal', closed(c));
      ctx.snapshot('after the refusal');
    },
  },
  {
    name: 'syn-timeout',
    title: 'SYN timeout: retries with exponential backoff',
    about:
      'The server host is unreachable (every packet to it is lost). The client retransmits its SYN ' +
      'tcp_syn_retries = 6 times, doubling the timeout each time (1, 2, 4, 8, 16, 32 s), and gives up 127 s ' +
      'after the first SYN with ETIMEDOUT: SYN_SENT → CLOSED.',
    async run(ctx) {
      ctx.net.impair(CLIENT, SERVER, { loss: 1 });
      ctx.server.net.createServer().listen(80, SERVER);
      const c = ctx.client.net.connect(80, SERVER);
      errorNote(ctx, 'client', c);
      await until(ctx, 'the timeout', closed(c));
      ctx.snapshot('after ETIMEDOUT');
    },
  },
  {
    name: 'keepalive',
    title: 'Keepalive: probing an idle connection, then a dead peer',
    about:
      'The client enables keepalive with a 10 s idle time (tcp_keepalive_intvl = 5 s, tcp_keepalive_probes = 3 ' +
      'on this host; Linux defaults are 7200 s, 75 s and 9). A probe is a bare ACK with SEQ = SND.UNA − 1, ' +
      'which the peer must answer. Then the server host vanishes: three unanswered probes later the client ' +
      'resets the connection and reports ETIMEDOUT.',
    client: { sysctl: { tcp_keepalive_intvl: 5, tcp_keepalive_probes: 3 } },
    async run(ctx) {
      serve(ctx, 80, {}, (s) => s.resume());
      const c = await connect(ctx, 80);
      c.setKeepAlive(true, 10_000);
      await ctx.net.run(12_000);
      ctx.notes.push('server host goes silent at t ≈ 12 s');
      ctx.net.impair(SERVER, CLIENT, { loss: 1 });
      ctx.net.impair(CLIENT, SERVER, { loss: 1 });
      await until(ctx, 'the keepalive timeout', closed(c));
      ctx.snapshot('after the keepalive timeout (the server still believes in the connection)');
    },
  },
  {
    name: 'zero-window',
    title: 'Zero window: a reader that stops reading',
    about:
      'The server application does not read, so its receive buffer (8 KiB here) fills and it advertises a zero ' +
      'window. The client stops sending and probes with the persist timer, backing off, until the server reads ' +
      'again and a window update lets the transfer finish.',
    server: { sysctl: { tcp_rmem: '4096 8192 8192' } },
    async run(ctx) {
      let server: Socket | null = null;
      serve(ctx, 80, { pauseOnConnect: true }, (s) => (server = s));
      const c = await connect(ctx, 80);
      c.write(new Uint8Array(40_000).fill(0x61));
      c.end();
      await ctx.net.run(5_000);
      ctx.notes.push('server application starts reading at t ≈ 5 s');
      await must(ctx, 'accept', () => server !== null);
      let received = 0;
      server!.on('data', (d: Buffer) => (received += d.length));
      server!.resume();
      await until(ctx, 'the transfer', () => received === 40_000);
      ctx.notes.push(`server read ${received} bytes`);
      await until(ctx, 'the close', () => ctx.server.connectionCount === 0);
      ctx.snapshot('after the transfer');
      await waitTimeWait(ctx);
    },
  },
  ...EDGE_SCENARIOS,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
