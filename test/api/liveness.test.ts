/**
 * Event-loop liveness as Node's handles give it, proved in child processes that run as a user's
 * program does: a listening server, a connecting socket and a socket that is reading or has writes
 * queued keep the process alive; an unref()'d, ended, destroyed or TIME_WAIT one does not. Where
 * the behaviour can be set side by side, the same program runs over real node:net on loopback and
 * must do the same things in the same order, and exit when Node's does. Actions are triggered by
 * unref()'d timers, so only the handle under test can hold the process.
 */
import { describe, expect, it } from 'vitest';
import { runChild, type ChildRun } from './support/child.js';

/** Two synack stacks in this process, joined asynchronously; `srv` is the listening server on b. */
const SYNACK_PAIR = `
const sim = new synack.SimNetwork({ clock: 'real' });
const a = sim.host('10.0.0.1');
const b = sim.host('10.0.0.2');
const N = { createServer: (...x) => b.net.createServer(...x), connect: (port, cb) => a.net.connect(port, '10.0.0.2', cb), host: '10.0.0.2' };
`;
const NODE_PAIR = `
const N = { createServer: (...x) => net.createServer(...x), connect: (port, cb) => net.connect(port, '127.0.0.1', cb), host: '127.0.0.1' };
`;
const later = (ms: number, code: string): string => `setTimeout(() => { ${code} }, ${ms}).unref();`;

/** Run the program over synack and over node:net. */
async function both(program: string): Promise<[ChildRun, ChildRun]> {
  return Promise.all([runChild(SYNACK_PAIR + program), runChild(NODE_PAIR + program)]);
}

/**
 * The same events as Node's, each end's in the same order. How the two ends interleave depends on
 * when each end's loop iteration sees the other's packets, so it is not compared.
 */
function expectSame(synack: ChildRun, node: ChildRun): void {
  expect(synack.stderr).toBe('');
  expect(node.stderr).toBe('');
  expect(synack.code).toBe(0);
  const side = (r: ChildRun, who: string) => r.events.filter((e) => e.startsWith('server') === (who === 'server'));
  expect(side(synack, 'server')).toEqual(side(node, 'server'));
  expect(side(synack, 'client')).toEqual(side(node, 'client'));
}

describe('Event-loop liveness (ref/unref)', () => {
  it('a connect to a silent address keeps the process alive until ETIMEDOUT (tcp_syn_retries: 1), then lets it exit', async () => {
    const r = await runChild(`
      const a = new synack.Stack({ addresses: ['10.0.0.1'], sysctl: { tcp_syn_retries: 1 } });
      const s = a.net.connect(80, '10.0.0.9');
      s.on('error', (e) => log('error', e.code));
      s.on('close', () => log('close'));
    `);
    expect(r.stderr).toBe('');
    expect(r.events).toEqual(['error ETIMEDOUT', 'close']);
    // SYN at 0, retransmitted at 1 s (RTO), given up after the doubled RTO at 3 s
    expect(r.at[0]).toBeGreaterThan(2900);
    expect(r.exitAt - r.at[1]!).toBeLessThan(500);
  });

  it('a listening server alone keeps the process alive until server.close()', async () => {
    const [s, n] = await both(`
      const srv = N.createServer().listen(0, () => log('listening'));
      ${later(300, "srv.close(() => log('closed'));")}
    `);
    expectSame(s, n);
    expect(s.events).toEqual(['listening', 'closed']);
    expect(s.exitAt).toBeGreaterThan(290);
  });

  it('server.unref() lets the process exit while listening', async () => {
    const [s, n] = await both(`
      const srv = N.createServer().listen(0, () => log('listening'));
      srv.unref();
      ${later(1000, "log('still running');")}
    `);
    expectSame(s, n);
    expect(s.events).toEqual(['listening']);
    expect(s.exitAt).toBeLessThan(900);
  });

  it('server.ref() undoes unref()', async () => {
    const [s, n] = await both(`
      const srv = N.createServer().listen(0, () => log('listening'));
      srv.unref();
      srv.ref();
      ${later(300, "srv.close(() => log('closed'));")}
    `);
    expectSame(s, n);
    expect(s.events).toEqual(['listening', 'closed']);
    expect(s.exitAt).toBeGreaterThan(290);
  });

  it('a connected socket that is reading keeps the process alive; destroy() lets it exit', async () => {
    const [s, n] = await both(`
      const srv = N.createServer((peer) => { peer.on('end', () => log('server end')); peer.on('close', () => log('server close')); });
      srv.listen(0, () => {
        srv.unref();
        const c = N.connect(srv.address().port);
        c.on('connect', () => log('connect'));
        c.on('close', () => log('client close'));
        ${later(300, "log('destroy'); c.destroy();")}
      });
    `);
    expectSame(s, n);
    expect(s.events.filter((e) => !e.startsWith('server'))).toEqual(['connect', 'destroy', 'client close']);
    expect(s.exitAt).toBeGreaterThan(290);
  });

  it('socket.unref() on both ends of a connection lets the process exit', async () => {
    const [s, n] = await both(`
      const srv = N.createServer((peer) => { peer.unref(); log('server accepted'); });
      srv.listen(0, () => {
        srv.unref();
        const c = N.connect(srv.address().port);
        c.unref();
        c.on('connect', () => log('connect'));
        ${later(1000, "log('still running');")}
      });
    `);
    expectSame(s, n);
    expect([...s.events].sort()).toEqual(['connect', 'server accepted']);
    expect(s.exitAt).toBeLessThan(900);
  });

  it('socket.ref() undoes unref()', async () => {
    const [s, n] = await both(`
      const srv = N.createServer((peer) => { peer.unref(); });
      srv.listen(0, () => {
        srv.unref();
        const c = N.connect(srv.address().port);
        c.unref();
        c.ref();
        c.on('connect', () => log('connect'));
        ${later(300, "log('destroy'); c.destroy();")}
      });
    `);
    expectSame(s, n);
    expect(s.events).toEqual(['connect', 'destroy']);
    expect(s.exitAt).toBeGreaterThan(290);
  });

  it('a connection in TIME_WAIT does not hold the process (its 60 s timer serves nothing held)', async () => {
    const [s, n] = await both(`
      const srv = N.createServer((peer) => { peer.on('close', () => log('server close')); });
      srv.listen(0, () => {
        srv.unref();
        const c = N.connect(srv.address().port, () => c.end());
        c.on('close', () => log('client close'));
      });
    `);
    expectSame(s, n);
    expect([...s.events].sort()).toEqual(['client close', 'server close']);
    expect(s.exitAt).toBeLessThan(2000);
  });

  it("an orphan in FIN_WAIT_2 does not hold the process (tcp_fin_timeout serves nothing held)", async () => {
    const [s, n] = await both(`
      // the server never closes its side: the client's orphan waits in FIN_WAIT_2 (tcp_fin_timeout, 60 s)
      const srv = N.createServer({ allowHalfOpen: true }, (peer) => { peer.unref(); });
      srv.listen(0, () => {
        srv.unref();
        const c = N.connect(srv.address().port, () => c.destroy());
        c.on('close', () => log('client close'));
      });
    `);
    expectSame(s, n);
    expect(s.events).toEqual(['client close']);
    expect(s.exitAt).toBeLessThan(2000);
  });

  it('keepalive on an unref()\'d idle socket does not hold the process', async () => {
    const [s, n] = await both(`
      const srv = N.createServer((peer) => { peer.unref(); });
      srv.listen(0, () => {
        srv.unref();
        const c = N.connect(srv.address().port, () => log('connect'));
        c.setKeepAlive(true, 100);
        c.unref();
      });
    `);
    expectSame(s, n);
    expect(s.events).toEqual(['connect']);
    expect(s.exitAt).toBeLessThan(2000);
  });

  it('a 1 MiB echo that needs one retransmission timeout completes before the process exits', async () => {
    const r = await runChild(`
      const a = new synack.Stack({ addresses: ['10.0.0.1'] });
      const b = new synack.Stack({ addresses: ['10.0.0.2'] });
      let sent = 0;
      // the SYN is lost (retransmitted after the 1 s RTO), and a data segment later on
      a.on('packet', (p) => { if (++sent === 1 || sent === 40) return; const q = p.slice(); setImmediate(() => b.input(q)); });
      b.on('packet', (p) => { const q = p.slice(); setImmediate(() => a.input(q)); });
      const srv = b.net.createServer((s) => s.pipe(s)).listen(80);
      srv.unref();
      const c = a.net.connect(80, '10.0.0.2', () => c.end(Buffer.alloc(1 << 20, 7)));
      let got = 0;
      c.on('data', (d) => { got += d.length; });
      c.on('end', () => log('end', got));
      c.on('close', () => log('close', a.counters.segmentsOut > 0));
    `);
    expect(r.stderr).toBe('');
    expect(r.events).toEqual(['end 1048576', 'close true']);
    expect(r.at[0]).toBeGreaterThan(990);
  });

  it("an HTTP client over two stacks completes a keep-alive request whose body spans segments, then exits (the agent's free socket is unref()'d)", async () => {
    const r = await runChild(`
      ${SYNACK_PAIR}
      const body = Buffer.alloc(5000, 'x');
      const httpServer = http.createServer((req, res) => res.end(body));
      const accepted = [];
      const srv = b.net.createServer((s) => { accepted.push(s); httpServer.emit('connection', s); }).listen(80);
      const agent = new http.Agent({ keepAlive: true });
      agent.createConnection = () => a.net.connect(80, '10.0.0.2');
      http.get({ host: '10.0.0.2', port: 80, agent }, (res) => {
        let n = 0;
        res.on('data', (d) => (n += d.length));
        res.on('end', () => { log('response', n); srv.close(); for (const s of accepted) s.destroy(); });
      });
    `);
    expect(r.stderr).toBe('');
    expect(r.events).toEqual(['response 5000']);
    expect(r.code).toBe(0);
    expect(r.exitAt - r.at[0]!).toBeLessThan(2000);
  });
});
