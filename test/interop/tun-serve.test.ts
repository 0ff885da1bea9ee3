/**
 * `synack serve` on a TUN device, the Linux kernel's own TCP as the peer, inside a network
 * namespace this file creates (and deletes). Kernel side 10.99.0.1 / fd00:99::1, synack 10.99.0.2 /
 * fd00:99::2: addresses that exist only in the namespace.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, interopUnavailable, metric, sleep, type Served } from './helpers.js';

const why = interopUnavailable(['curl', 'socat', 'ping']);
const CONNS = join(import.meta.dirname, 'clients', 'conns.mjs');

describe.skipIf(why !== null)(`synack serve on TUN, kernel as the peer${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  let served: Served;

  beforeAll(async () => {
    ns.create();
    served = await ns.serve([
      '--tun', 'synack0',
      '--ip', '10.99.0.2',
      '--ip', 'fd00:99::2',
      '--peer-ip', '10.99.0.1/24',
      '--peer-ip', 'fd00:99::1/64',
      '--metrics', '127.0.0.1:9464',
    ]);
  }, 45_000);

  afterAll(async () => {
    await ns.destroy();
  });

  const scrape = async (): Promise<string> => {
    const r = await ns.run(['curl', '-sS', '--max-time', '5', 'http://127.0.0.1:9464/metrics']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.toString();
  };

  it('answers ping (ICMP echo), IPv4 and IPv6', async () => {
    const v4 = await ns.run(['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.99.0.2'], { timeoutMs: 15_000 });
    expect(v4.stdout.toString()).toMatch(/3 packets transmitted, 3 received/);
    const v6 = await ns.run(['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', 'fd00:99::2'], { timeoutMs: 15_000 });
    expect(v6.stdout.toString()).toMatch(/3 packets transmitted, 3 received/);
  });

  it('serves GET / to curl', async () => {
    const r = await ns.run(['curl', '-sS', '--max-time', '10', '-D', '-', 'http://10.99.0.2/']);
    expect(r.code, r.stderr).toBe(0);
    const text = r.stdout.toString();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toContain('<h1>synack</h1>');
  });

  it('serves GET /bytes/10000000: byte count and sha256 match', async () => {
    const r = await ns.run(['curl', '-sS', '--max-time', '60', 'http://10.99.0.2/bytes/10000000'], { timeoutMs: 70_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(10_000_000);
    // the body is the server's 64 KiB pattern repeated: compute the same bytes here
    const chunk = Buffer.alloc(64 * 1024, 'synack ');
    const h = createHash('sha256');
    for (let left = 10_000_000; left > 0; left -= chunk.length) h.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(h.digest('hex'));
  }, 80_000);

  it('echoes 1 MiB through socat with a half-close, IPv4 and IPv6', async () => {
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 10)) & 0xff;
    const want = createHash('sha256').update(data).digest('hex');
    for (const addr of ['TCP4:10.99.0.2:7', 'TCP6:[fd00:99::2]:7']) {
      // socat sends stdin, half-closes (shutdown SHUT_WR) at its end, and reads until synack's FIN
      const r = await ns.run(['socat', '-t', '10', '-T', '20', 'STDIO', addr], { input: data, timeoutMs: 40_000 });
      expect(r.code, `${addr}: ${r.stderr}`).toBe(0);
      expect(r.stdout.length, addr).toBe(data.length);
      expect(createHash('sha256').update(r.stdout).digest('hex'), addr).toBe(want);
    }
  }, 90_000);

  it('daytime: synack closes first and holds TIME_WAIT; the kernel side is not left behind', async () => {
    const before = metric(await scrape(), 'synack_tcp_connections', 'state="TIME_WAIT"');
    // -u: socat only reads; it sends nothing, so synack's FIN is the first (an active close by synack)
    const r = await ns.run(['socat', '-u', '-T', '10', 'TCP4:10.99.0.2:13', 'STDOUT']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toMatch(/^\w+day, \w+ \d{1,2}, \d{4} \d\d:\d\d:\d\d-UTC\r\n$/);
    let ss = '';
    for (let i = 0; i < 50; i++) {
      ss = ns.sync(['ss', '-tanH', 'dst', '10.99.0.2', 'dport', '= :13']);
      if (ss.trim() === '') break;
      await sleep(20);
    }
    // the kernel went CLOSE_WAIT → LAST_ACK → CLOSED: no socket left for the connection
    expect(ss.trim()).toBe('');
    const after = metric(await scrape(), 'synack_tcp_connections', 'state="TIME_WAIT"');
    expect(after).toBeGreaterThanOrEqual(before + 1);
  });

  it('chargen streams RFC 864 lines until the client closes', async () => {
    const r = await ns.run(['sh', '-c', 'socat -u -T 5 TCP4:10.99.0.2:19 STDOUT | head -c 7400']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.toString().split('\r\n');
    expect(lines[0]).toBe(Array.from({ length: 72 }, (_, j) => String.fromCharCode(32 + (j % 95))).join(''));
    expect(lines[1]).toBe(Array.from({ length: 72 }, (_, j) => String.fromCharCode(32 + ((1 + j) % 95))).join(''));
  });

  it('discard takes 1 MiB and closes after the client', async () => {
    const r = await ns.run(['socat', '-t', '5', '-T', '10', 'STDIO', 'TCP4:10.99.0.2:9'], { input: Buffer.alloc(1 << 20, 1) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(0);
  });

  it('HTTP keep-alive (3 requests, 1 connection) and Connection: close (synack closes first)', async () => {
    const r = await ns.run(['curl', '-sS', '--max-time', '10', '-w', '%{num_connects} ', 'http://10.99.0.2/', '-o', '/dev/null', 'http://10.99.0.2/bytes/100', '-o', '/dev/null', 'http://10.99.0.2/', '-o', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString().trim().split(/\s+/).map(Number)).toEqual([1, 0, 0]);
    const c = await ns.run(['curl', '-sS', '--max-time', '10', '-D', '-', '-o', '/dev/null', '-H', 'Connection: close', 'http://10.99.0.2/']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.toString().toLowerCase()).toContain('connection: close');
  });

  it('1,000 sequential connections without a failure', async () => {
    const r = await ns.run([process.execPath, CONNS, '10.99.0.2', '7', '1000', '1'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.toString()) as { ok: number; failed: number; errors: object };
    expect(res.errors).toEqual({});
    expect(res.ok).toBe(1000);
  }, 130_000);

  it('200 concurrent connections without a failure (IPv4 and IPv6)', async () => {
    for (const host of ['10.99.0.2', 'fd00:99::2']) {
      const r = await ns.run([process.execPath, CONNS, host, '7', '200', '200'], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout.toString()) as { ok: number; failed: number; errors: object };
      expect(res.errors, host).toEqual({});
      expect(res.ok, host).toBe(200);
    }
  }, 130_000);

  it('exposes counters and states as Prometheus metrics', async () => {
    const text = await scrape();
    expect(metric(text, 'synack_tcp_connections', 'state="LISTEN"')).toBe(5);
    expect(metric(text, 'synack_tcp_passive_opens_total')).toBeGreaterThan(1000);
    expect(metric(text, 'synack_icmp_total', 'kind="echoRequests"')).toBeGreaterThanOrEqual(6);
    expect(metric(text, 'synack_link_write_drops_total')).toBe(0);
  });

  it('closes its connections with FIN on SIGTERM and exits 0', async () => {
    // an echo connection is open and idle (socat's stdin stays open) when the signal comes
    const t0 = Date.now();
    const pending = ns.run(['socat', '-T', '10', 'STDIO', 'TCP4:10.99.0.2:7'], { stdinOpen: true, timeoutMs: 20_000 });
    await sleep(500);
    served.child.kill('SIGTERM');
    expect(await served.out.exit(10_000)).toBe(0);
    const r = await pending;
    // socat saw synack's FIN (EOF) and finished well before its stdin did: no reset, no timeout
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/reset/i);
    expect(Date.now() - t0).toBeLessThan(6000);
  }, 30_000);
});
