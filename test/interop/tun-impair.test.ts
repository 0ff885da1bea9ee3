/**
 * Impairments on a real link (`--loss --delay ...`): the Linux kernel in a namespace this file
 * creates (and deletes) moves data through synack over a TUN or TAP device whose packets synack
 * loses and delays on purpose. The bytes must arrive intact, and the drops must be counted.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Netns, Output, interopUnavailable, metric, sleep, type Served } from './helpers.js';

const why = interopUnavailable(['curl', 'socat', 'ping']);

/** The http service's body for /bytes/N: its 64 KiB pattern repeated. */
function bytesBody(n: number): string {
  const chunk = Buffer.alloc(64 * 1024, 'synack ');
  const h = createHash('sha256');
  for (let left = n; left > 0; left -= chunk.length) h.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return h.digest('hex');
}

function pattern(n: number): Buffer {
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = (i * 7 + (i >> 10)) & 0xff;
  return data;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(why !== null)(`serve on TUN with --loss 3% --delay 5ms, the kernel as the peer${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  let served: Served;

  beforeAll(async () => {
    ns.create();
    served = await ns.serve(['--tun', 'synimp0', '--ip', '10.97.0.2', '--peer-ip', '10.97.0.1/24', '--services', 'http,echo',
      '--loss', '3%', '--delay', '5ms', '--impair-seed', '3', '--metrics', '127.0.0.1:9474']);
  }, 45_000);

  afterAll(async () => {
    await ns.destroy();
  });

  const scrape = async (): Promise<string> => {
    const r = await ns.run(['curl', '-sS', '--max-time', '5', 'http://127.0.0.1:9474/metrics']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.toString();
  };

  it('says in its ready line what the link does, both ways, and with which seed', () => {
    expect(served.out.text).toContain('impaired (seed 3): both ways loss 3%, delay 5ms');
  });

  it('--delay 5ms each way: ping sees a round trip of at least 10 ms', async () => {
    const r = await ns.run(['ping', '-c', '10', '-i', '0.2', '-W', '2', '10.97.0.2'], { timeoutMs: 20_000 });
    const m = /rtt min\/avg\/max\/mdev = ([\d.]+)\//.exec(r.stdout.toString());
    expect(m, r.stdout.toString()).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(9.5);
  });

  it('curl (the kernel receiving) gets /bytes/3000000 intact through 3 % loss', async () => {
    const r = await ns.run(['curl', '-sS', '--max-time', '60', 'http://10.97.0.2/bytes/3000000'], { timeoutMs: 70_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(3_000_000);
    expect(sha(r.stdout)).toBe(bytesBody(3_000_000));
  }, 80_000);

  it('socat (the kernel sending and receiving) gets 1 MiB echoed intact through the loss both ways', async () => {
    const data = pattern(1 << 20);
    const r = await ns.run(['socat', '-t', '20', '-T', '40', 'STDIO', 'TCP4:10.97.0.2:7'], { input: data, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(sha(r.stdout)).toBe(sha(data));
  }, 70_000);

  it('the metrics count the packets each way and the losses by reason, and synack retransmitted what was lost', async () => {
    const text = await scrape();
    const outPackets = metric(text, 'synack_link_impaired_packets_total', 'direction="out"');
    const inPackets = metric(text, 'synack_link_impaired_packets_total', 'direction="in"');
    const outLoss = metric(text, 'synack_link_impair_drops_total', 'direction="out",reason="loss"');
    const inLoss = metric(text, 'synack_link_impair_drops_total', 'direction="in",reason="loss"');
    expect(outPackets).toBeGreaterThan(2000);
    expect(inPackets).toBeGreaterThan(1000);
    expect(outLoss).toBeGreaterThan(0);
    expect(inLoss).toBeGreaterThan(0);
    // 3 %, loosely: the share lost is between 1 % and 6 % each way
    expect(outLoss / outPackets).toBeGreaterThan(0.01);
    expect(outLoss / outPackets).toBeLessThan(0.06);
    expect(inLoss / inPackets).toBeGreaterThan(0.01);
    expect(inLoss / inPackets).toBeLessThan(0.06);
    expect(metric(text, 'synack_link_impair_drops_total', 'direction="out",reason="queue"')).toBe(0);
    const retransmits = ['fast', 'rto', 'tlp', 'rack'].reduce((s, kind) => s + (metric(text, 'synack_tcp_retransmits_total', `kind="${kind}"`) || 0), 0);
    expect(retransmits).toBeGreaterThan(0);
  });
});

describe.skipIf(why !== null)(`connect on TUN with --loss out:5% --rate 20mbit --queue 30kb${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();

  beforeAll(() => {
    ns.create();
  });

  afterAll(async () => {
    await ns.destroy();
  });

  it('sends 512 KiB to a kernel echo server and reads it back intact; -v counts what the impairments dropped', async () => {
    ns.start(['socat', '-T', '30', 'TCP-LISTEN:7007,reuseaddr', 'EXEC:cat']);
    await sleep(200);
    const child = ns.start([process.execPath, CLI, 'connect', '--tun', 'synimp1', '--ip', '10.97.1.2', '--peer-ip', '10.97.1.1/24',
      '--loss', 'out:5%', '--rate', '20mbit', '--queue', '30kb', '-v', '10.97.1.1:7007']);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => chunks.push(d));
    const out = new Output(child);
    await sleep(300);
    const data = pattern(512 * 1024);
    child.stdin!.end(data);
    const code = await out.exit(45_000);
    expect(code, out.err).toBe(0);
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
    expect(out.err).toContain('impaired (seed 1): out loss 5%, rate 20mbit, queue 30000 bytes; in rate 20mbit, queue 30000 bytes');
    const m = /impairments: out: (\d+) packets, (\d+) lost/.exec(out.err);
    expect(m, out.err).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
  }, 60_000);
});

describe.skipIf(why !== null)(`serve on TAP with --loss 2%: whole frames, ARP included${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();

  beforeAll(async () => {
    ns.create();
    await ns.serve(['--tap', 'synimptap0', '--ip', '10.97.2.2', '--peer-ip', '10.97.2.1/24', '--services', 'http', '--loss', '2%', '--metrics', '127.0.0.1:9475']);
  }, 45_000);

  afterAll(async () => {
    await ns.destroy();
  });

  it('curl gets /bytes/1000000 intact, and the frames lost are counted', async () => {
    const r = await ns.run(['curl', '-sS', '--max-time', '60', 'http://10.97.2.2/bytes/1000000'], { timeoutMs: 70_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(sha(r.stdout)).toBe(bytesBody(1_000_000));
    const m = await ns.run(['curl', '-sS', '--max-time', '5', 'http://127.0.0.1:9475/metrics']);
    expect(metric(m.stdout.toString(), 'synack_link_impair_drops_total', 'direction="out",reason="loss"')).toBeGreaterThan(0);
  }, 80_000);
});
