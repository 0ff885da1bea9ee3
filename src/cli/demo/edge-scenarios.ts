/**
 * Scenarios for the rarer edges of the state diagram, so that the tour takes every edge the
 * diagram has (observe/edges.ts): a handshake abandoned, a close during the handshake, resets in
 * the closing states, RFC 793's SEND on a listening connection, and a server restarted while its
 * port still has TIME_WAIT connections.
 */
import type { Socket } from '../../api/socket.js';
import { ipFromText } from '../../stack/ip-addr.js';
import { CLIENT, SERVER, closed, connect, errorNote, serve, until, waitTimeWait, halfOpenPair, type Scenario } from './scenario-kit.js';

export const EDGE_SCENARIOS: Scenario[] = [
  {
    name: 'abandoned-handshake',
    title: 'A client gives up during the handshake',
    about:
      'The client sends its SYN and closes the socket before the answer comes: SYN_SENT → CLOSED, no segment sent. ' +
      "The server's SYN-ACK then reaches a port with no connection, which answers with RST (§3.10.7.1); the " +
      "server's half-open connection goes SYN_RCVD → LISTEN, and since the listener keeps listening, its TCB is " +
      'deleted (LISTEN → CLOSED).',
    async run(ctx) {
      serve(ctx, 80, {}, (s) => s.resume());
      const c = ctx.client.net.connect(80, SERVER);
      errorNote(ctx, 'client', c);
      await ctx.net.run(2);
      c.destroy();
      await ctx.net.run(50); // the SYN arrives, the SYN-ACK meets no connection, its RST returns
      await until(ctx, 'the reset', () => ctx.server.connectionCount === 0);
      ctx.snapshot('after the half-open connection was reset');
    },
  },
  {
    name: 'close-in-syn-rcvd',
    title: 'Close during the handshake (SYN_RCVD → FIN_WAIT_1)',
    about:
      'A simultaneous open puts the client in SYN_RCVD, and its application closes right there. With nothing ' +
      'queued to send, RFC 9293 §3.10.4 has it send a FIN once the handshake completes and enter FIN_WAIT_1 at ' +
      'once; the close then runs as usual, the client holding TIME_WAIT.',
    async run(ctx) {
      const a = ctx.client.net.connect({ port: 6000, host: SERVER, localPort: 5000 });
      const b = ctx.server.net.connect({ port: 5000, host: CLIENT, localPort: 6000 });
      errorNote(ctx, 'client', a);
      errorNote(ctx, 'server', b);
      b.resume();
      const da = closed(a);
      const db = closed(b);
      let closing = false;
      ctx.client.on('transition', (e: { to: string }) => {
        if (e.to === 'SYN_RCVD' && !closing) {
          closing = true;
          ctx.net.clock.defer(() => a.destroy());
        }
      });
      await until(ctx, 'the close', () => da() && db());
      ctx.snapshot('after the close');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'close-wait-reset',
    title: 'A reset instead of a FIN from CLOSE_WAIT',
    about:
      'The client closes (FIN_WAIT_1, FIN_WAIT_2); the server application, in CLOSE_WAIT, aborts instead of ' +
      'closing (SO_LINGER 0, resetAndDestroy()): CLOSE_WAIT → CLOSED with an RST, which takes the client from ' +
      'FIN_WAIT_2 straight to CLOSED — no LAST_ACK, no TIME_WAIT.',
    async run(ctx) {
      serve(ctx, 80, { allowHalfOpen: true }, (s) => {
        s.resume();
        s.on('end', () => ctx.net.clock.schedule(ctx.net.now() + 100, () => s.resetAndDestroy()));
      });
      const c = await connect(ctx, 80, { allowHalfOpen: true });
      c.resume();
      const done = closed(c);
      c.end();
      await until(ctx, 'the reset', () => done() && ctx.server.connectionCount === 0);
      ctx.snapshot('after the reset');
    },
  },
  {
    name: 'reset-while-closing',
    title: 'Giving up on a close that cannot finish (FIN_WAIT_1 → CLOSED)',
    about:
      "The server reads nothing, so its 8 KiB window fills and the client's 40 KB and FIN wait behind it in " +
      'FIN_WAIT_1. After 3 s the client aborts (resetAndDestroy()): FIN_WAIT_1 → CLOSED with an RST, and the ' +
      'server, still ESTABLISHED, is reset (ESTABLISHED → CLOSED, ECONNRESET).',
    server: { sysctl: { tcp_rmem: '4096 8192 8192' } },
    async run(ctx) {
      serve(ctx, 80, { pauseOnConnect: true }, () => {});
      const c = await connect(ctx, 80);
      c.write(new Uint8Array(40_000).fill(0x61));
      c.end();
      await ctx.net.run(3_000);
      ctx.snapshot('the close stuck behind a zero window');
      c.resetAndDestroy();
      await until(ctx, 'the reset', () => ctx.server.connectionCount === 0 && ctx.client.connectionCount === 0);
      ctx.snapshot('after the reset');
    },
  },
  {
    name: 'fin-ack-at-once',
    title: 'FIN and ACK at once (FIN_WAIT_1 → TIME_WAIT)',
    about:
      "The server's ACK of the client's FIN is lost; the server closes right away and its FIN carries the same " +
      'acknowledgment. The client, still in FIN_WAIT_1, receives FIN and ACK of its FIN in one segment and goes ' +
      'straight to TIME_WAIT, skipping FIN_WAIT_2 (RFC 9293 §3.10.7.4, eighth step).',
    async run(ctx) {
      serve(ctx, 80, {}, (s) => s.resume());
      const c = await connect(ctx, 80);
      c.resume();
      const done = closed(c);
      const off = ctx.net.onPacket((ev) => {
        if (ev.dropped && ev.from === SERVER) {
          ctx.net.impair(SERVER, CLIENT, {});
          off();
        }
      });
      ctx.net.impair(SERVER, CLIENT, { loss: 1 });
      c.end();
      await until(ctx, 'the close', () => done() && ctx.server.connectionCount === 0);
      ctx.snapshot('after the close');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'closing-timeout',
    title: 'Simultaneous close into silence (CLOSING → CLOSED)',
    about:
      "Both ends close at once, and the server host vanishes just after sending its FIN, so the ACK of the client's " +
      'FIN never comes. The client stays in CLOSING, retransmitting its FIN with backoff, and after ' +
      'tcp_orphan_retries gives up: CLOSING → CLOSED on the retransmission timer. The server sits out its TIME_WAIT.',
    async run(ctx) {
      const { client: c, server } = await halfOpenPair(ctx);
      const onSegment = (e: { dir: string; flags: string }): void => {
        if (e.dir === 'out' && e.flags.includes('F')) {
          ctx.net.clock.defer(() => ctx.net.impair(SERVER, CLIENT, { loss: 1 })); // once the FIN is on the wire
          ctx.server.off('segment', onSegment);
        }
      };
      ctx.server.on('segment', onSegment);
      c.end();
      server.end();
      await until(ctx, 'the client giving up', () => ctx.client.connectionCount === 0);
      ctx.snapshot('after the client gave up');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'send-from-listen',
    title: "RFC 793's SEND on a listening connection (LISTEN → SYN_SENT)",
    about:
      'In the RFC a passive OPEN may name its peer, and a SEND on it then turns it active: LISTEN → SYN_SENT, ' +
      'SYN out. The sockets API has no such call (Linux refuses connect() on a listening socket), so the client ' +
      "here drives its TCB directly through the RFC's calls; the rest is an ordinary handshake and close.",
    async run(ctx) {
      let server: Socket | null = null;
      serve(ctx, 80, {}, (s) => {
        server = s;
        s.resume();
      });
      const local = ctx.client.addresses[0]!;
      const conn = ctx.client.createConn(local, 5000, ipFromText(SERVER)!, 80, ctx.net.now());
      conn.tcb.openPassive(ctx.net.now());
      conn.tcb.connectFromListen(ctx.net.now());
      ctx.client.settle(conn);
      await until(ctx, 'the handshake', () => conn.tcb.state === 'ESTABLISHED' && server !== null);
      conn.tcb.close(ctx.net.now());
      ctx.client.settle(conn);
      await until(ctx, 'the close', () => ctx.server.connectionCount === 0);
      ctx.snapshot('after the close');
      await waitTimeWait(ctx);
    },
  },
  {
    name: 'restart-in-time-wait',
    title: 'A server restarted while its port has TIME_WAIT connections',
    about:
      'The server closed its last connection first, so port 80 still has a TIME_WAIT record, and a client is ' +
      'mid-handshake when the server restarts: closing the listener resets that half-open connection ' +
      '(SYN_RCVD → CLOSED). The new server without SO_REUSEADDR (listen({ reuseAddr: false })) fails with ' +
      "EADDRINUSE for the 2MSL that TIME_WAIT lasts — the classic \"httpd cannot restart within 2MSL\"; with it (Node's " +
      'default, and synack\'s) the same listen() succeeds at once and serves the next client.',
    async run(ctx) {
      const first = ctx.server.net.createServer((s) => {
        errorNote(ctx, 'server', s);
        s.on('data', () => s.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'));
      });
      first.listen(80, SERVER);
      const c = await connect(ctx, 80);
      const done = closed(c);
      c.write('GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n');
      c.resume();
      await until(ctx, 'the close', () => done() && ctx.client.connectionCount === 0);
      const late = ctx.client.net.connect(80, SERVER);
      errorNote(ctx, 'client', late);
      await ctx.net.run(7); // the SYN has arrived, the SYN-ACK is on its way
      ctx.snapshot('the server about to restart');
      first.close();
      const attempt = (reuseAddr: boolean | undefined): Promise<string> =>
        new Promise((resolve) => {
          const srv = ctx.server.net.createServer((s) => s.end('hello again\n'));
          srv.once('error', (e: NodeJS.ErrnoException) => resolve(`listen(${reuseAddr === false ? '{ reuseAddr: false }' : 'default'}) → ${e.code}: ${e.message}`));
          srv.listen({ port: 80, host: SERVER, ...(reuseAddr === undefined ? {} : { reuseAddr }) }, () =>
            resolve(`listen(${reuseAddr === false ? '{ reuseAddr: false }' : 'default'}) → listening on ${SERVER}:80`),
          );
        });
      ctx.notes.push(await attempt(false));
      ctx.notes.push(await attempt(undefined));
      ctx.snapshot('restarted, the TIME_WAIT record still there');
      const next = await connect(ctx, 80);
      next.resume();
      await until(ctx, 'the next client', closed(next));
      await waitTimeWait(ctx);
    },
  },
];
