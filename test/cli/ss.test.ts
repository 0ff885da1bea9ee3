/** `synack ss`: ss -tan's table, timers, -i and counts for a running synack stack, over its control endpoint. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimNetwork, type Stack } from '../../src/index.js';
import { fetchSs, serveControl } from '../../src/cli/control.js';
import { formatCounts, formatSs, formatTimer, formatTimerMs, formatSummary } from '../../src/cli/ss.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const run = promisify(execFile);

/** A server with one keepalive connection ESTABLISHED, one in TIME_WAIT, and a listener. */
async function population(): Promise<{ net: SimNetwork; server: Stack; client: Stack }> {
  const net = new SimNetwork({ seed: 1 });
  const client = net.host('10.0.0.1');
  const server = net.host('10.0.0.2');
  server.net.createServer({ keepAlive: true, keepAliveInitialDelay: 120_000 }, (s) => s.on('data', () => s.end('bye'))).listen(80);
  await net.run(1);
  const done = client.net.connect(80, '10.0.0.2');
  done.resume();
  done.write('x');
  let closed = false;
  done.on('close', () => (closed = true));
  await net.runUntil(() => closed && server.connectionCount === 0, 10_000);
  const live = client.net.connect(80, '10.0.0.2');
  live.resume();
  await net.runUntil(() => server.stateCounts().ESTABLISHED === 1, 10_000);
  await net.run(17_000); // TIME_WAIT now has 43 s to go
  return { net, server, client };
}

describe('ss formatting (iproute2 print_ms_timer and the ss -tan columns)', () => {
  it.each([
    [120_000, '2min'],
    [43_000, '43sec'],
    [90_000, '1min30sec'],
    [5_200, '5.200ms'],
    [200, '200ms'],
    [725_000, '12min'],
  ])('%d ms prints as %s', (ms, text) => {
    expect(formatTimerMs(ms)).toBe(text);
  });

  it('TIME-WAIT 17 s in shows timer:(timewait,43sec,0); a 2 min keepalive 17 s idle timer:(keepalive,1min43sec,0)', async () => {
    const { net, server } = await population();
    const socks = server.sockets();
    expect(formatTimer(socks.find((s) => s.state === 'TIME_WAIT')!)).toBe('timer:(timewait,43sec,0)');
    const est = socks.find((s) => s.state === 'ESTABLISHED')!;
    expect(formatTimer(est)).toBe('timer:(keepalive,1min43sec,0)');
    net.close();
  });

  it('ss -tan: State, Recv-Q, Send-Q, Local and Peer columns, ss state names, LISTEN peer *', async () => {
    const { net, server } = await population();
    const text = formatSs(server.sockets(), { all: true });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0]).sort()).toEqual(['ESTAB', 'LISTEN', 'TIME-WAIT']);
    expect(text).toMatch(/LISTEN\s+0\s+511\s+0\.0\.0\.0:80\s+0\.0\.0\.0:\*/);
    expect(text).toMatch(/TIME-WAIT\s+0\s+0\s+10\.0\.0\.2:80\s+10\.0\.0\.1:\d+/);
    net.close();
  });

  it('without -a shows what ss shows by default: connections, not LISTEN or TIME-WAIT', async () => {
    const { net, server } = await population();
    const lines = formatSs(server.sockets(), {}).trimEnd().split('\n');
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['ESTAB']);
    expect(formatSs(server.sockets(), { listening: true })).toMatch(/\nLISTEN /);
    net.close();
  });

  it('-i adds rto, rtt, mss, cwnd and the byte counts under each connection, as ss -ti does', async () => {
    const { net, client } = await population();
    const text = formatSs(client.sockets(), { info: true });
    expect(text).toMatch(/\n\t rto:\d+ rtt:[\d.]+\/[\d.]+ mss:1448 cwnd:10 bytes_sent:0 bytes_received:0 segs_out:\d+ segs_in:\d+/);
    net.close();
  });

  it('the count by state, busiest first, and ss -s', async () => {
    const { net, server } = await population();
    expect(formatCounts(server.stateCounts())).toBe('ESTABLISHED 1\nLISTEN 1\nTIME_WAIT 1\n');
    expect(formatSummary(server.sockets())).toBe('TCP: 3 (estab 1, closed 0, orphaned 0, timewait 1)\n');
    net.close();
  });
});

describe('the control endpoint and synack ss --from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-ss-'));
  const path = join(dir, 'control.sock');
  let world: Awaited<ReturnType<typeof population>>;
  let stop: () => void;
  beforeAll(async () => {
    world = await population();
    const srv = await serveControl(world.server, { path });
    stop = () => srv.close();
  });
  afterAll(() => {
    stop?.();
    world?.net.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /ss answers the stack’s sockets and counts', async () => {
    const r = await fetchSs({ path });
    expect(r.host).toBe('10.0.0.2');
    expect(r.counts).toEqual({ LISTEN: 1, ESTABLISHED: 1, TIME_WAIT: 1 });
    expect(r.sockets.find((s) => s.state === 'ESTABLISHED')!.info!.mss).toBe(1448);
  });

  it('synack ss --from PATH -a -o prints the table with the timer column', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'ss', '--from', path, '-a', '-o'], { timeout: 20_000 });
    expect(stdout).toMatch(/TIME-WAIT .* timer:\(timewait,43sec,0\)/);
    expect(stdout).toMatch(/ESTAB .* timer:\(keepalive,/);
  });

  it('synack ss --from PATH --json -a is stack.sockets() as data', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'ss', '--from', path, '--json', '-a'], { timeout: 20_000 });
    const j = JSON.parse(stdout) as { sockets: { state: string }[]; counts: Record<string, number> };
    expect(j.sockets.map((s) => s.state).sort()).toEqual(['ESTABLISHED', 'LISTEN', 'TIME_WAIT']);
    expect(j.counts.TIME_WAIT).toBe(1);
  });

  it('without --from, or with nothing there, a one-line error and exit 1', async () => {
    await expect(run(process.execPath, [CLI, 'ss'], { timeout: 20_000 })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/--from <path\|host:port> is required/) });
    await expect(run(process.execPath, [CLI, 'ss', '--from', join(dir, 'nothing.sock')], { timeout: 20_000 })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/cannot reach .*nothing\.sock/),
    });
  });
});
