/**
 * ICMP from a real router: the namespace's kernel forwards between synack's TUN device and a veth
 * pair into a second namespace (a server), so the errors synack gets are the kernel's own.
 *
 *   synack 10.99.3.2 ──TUN── [router ns: 10.99.3.1 | 10.99.9.1] ──veth── [server ns: 10.99.9.2]
 *
 *  - PMTU: the route to the server has MTU 1000 (1280 for IPv6), the links 1500. synack's
 *    full-sized DF segments are refused with "fragmentation needed" / "packet too big"; a transfer
 *    only completes if synack lowers its MSS (RFC 1191, RFC 8201).
 *  - An unreachable route: the router answers a SYN with ICMP host unreachable (ICMPv6 no route),
 *    and `synack connect` fails at once with EHOSTUNREACH (ENETUNREACH), not after 127 s of SYNs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Netns, Output, interopUnavailable, sleep } from './helpers.js';

const why = interopUnavailable(['socat', 'tshark']);

describe.skipIf(why !== null)(`ICMP from a kernel router: PMTU and unreachables${why ? ` (skipped: ${why})` : ''}`, () => {
  const router = new Netns();
  const server = new Netns();
  const dir = mkdtempSync(join(tmpdir(), 'synack-icmp-'));
  let n = 0;

  beforeAll(() => {
    router.create();
    server.create();
    const r = spawnSync('ip', ['link', 'add', 'rt0', 'netns', router.name, 'type', 'veth', 'peer', 'name', 'sv0', 'netns', server.name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    router.sync(['ip', 'addr', 'add', '10.99.9.1/24', 'dev', 'rt0']);
    router.sync(['ip', 'addr', 'add', 'fd00:9::1/64', 'dev', 'rt0', 'nodad']);
    router.sync(['ip', 'link', 'set', 'rt0', 'up']);
    router.sync(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    router.sync(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
    server.sync(['ip', 'addr', 'add', '10.99.9.2/24', 'dev', 'sv0']);
    server.sync(['ip', 'addr', 'add', 'fd00:9::2/64', 'dev', 'sv0', 'nodad']);
    server.sync(['ip', 'link', 'set', 'sv0', 'up']);
    server.sync(['ip', 'route', 'add', 'default', 'via', '10.99.9.1']);
    server.sync(['ip', '-6', 'route', 'add', 'default', 'via', 'fd00:9::1']);
  });

  afterAll(async () => {
    await router.destroy();
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `synack connect` in the router namespace on a fresh TUN device, after setting `routes`. */
  async function connect(target: string, input: Buffer, routes: string[][] = [], pcap?: string, extra: string[] = []) {
    const dev = `synicmp${++n}`;
    for (const r of routes) router.sync(r);
    const child = router.start([process.execPath, CLI, 'connect', '--tun', dev, '--ip', '10.99.3.2', '--ip', 'fd00:99:3::2',
      '--peer-ip', '10.99.3.1/24', '--peer-ip', 'fd00:99:3::1/64', ...(pcap ? ['--pcap', pcap] : []), ...extra, target]);
    const out = new Output(child);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => chunks.push(d));
    child.stdin!.end(input);
    const t0 = Date.now();
    const code = await out.exit(60_000);
    return { code, ms: Date.now() - t0, stdout: Buffer.concat(chunks), stderr: out.err };
  }

  for (const v of [4, 6] as const) {
    it(`IPv${v}: 1 MiB through a route with a smaller MTU arrives whole (PMTU discovery)`, async () => {
      const file = join(dir, `recv${v}`);
      const mtu = v === 4 ? 1000 : 1280;
      // the server writes what it receives to a file, and closes after the client's FIN
      const sink = server.start(['socat', '-u', `TCP${v === 4 ? '4' : '6'}-LISTEN:9000,reuseaddr`, `CREATE:${file}`]);
      await sleep(200);
      const data = Buffer.alloc(1 << 20);
      for (let i = 0; i < data.length; i++) data[i] = (i * 17 + (i >> 12)) & 0xff;
      const pcap = join(dir, `pmtu${v}.pcap`);
      const target = v === 4 ? '10.99.9.2:9000' : '[fd00:9::2]:9000';
      const route = v === 4
        ? ['ip', 'route', 'replace', '10.99.9.0/24', 'dev', 'rt0', 'mtu', String(mtu)]
        : // a host route, more specific than the connected /64; IPv6 forwarding honours only a locked MTU
          ['ip', '-6', 'route', 'replace', 'fd00:9::2/128', 'dev', 'rt0', 'mtu', 'lock', String(mtu)];
      const r = await connect(target, data, [route], pcap);
      expect(r.code, r.stderr).toBe(0);
      for (let i = 0; i < 50 && sink.exitCode === null; i++) await sleep(100);
      const got = readFileSync(file);
      expect(got.length).toBe(data.length);
      expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
      // the capture shows the router's message, and no data packet above the MTU after it
      const filter = v === 4 ? 'icmp.type == 3 && icmp.code == 4' : 'icmpv6.type == 2';
      const icmp = spawnSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
      const first = Number(icmp.stdout.trim().split('\n')[0]);
      expect(first).toBeGreaterThan(0);
      const big = spawnSync('tshark', ['-r', pcap, '-Y', `frame.number > ${first + 1} && frame.len > ${mtu} && ip${v === 4 ? '' : 'v6'}.src == ${v === 4 ? '10.99.3.2' : 'fd00:99:3::2'}`], { encoding: 'utf8' });
      expect(big.stdout.trim()).toBe('');
    }, 90_000);
  }

  it('an unreachable route: the router says so and connect fails at once with EHOSTUNREACH / ENETUNREACH', async () => {
    // "unreachable" routes: ICMP host unreachable (code 1), ICMPv6 no route (code 0)
    const v4 = await connect('10.99.200.1:80', Buffer.from('x'), [['ip', 'route', 'replace', 'unreachable', '10.99.200.0/24']]);
    expect(v4.code).toBe(1);
    expect(v4.stderr).toMatch(/connect EHOSTUNREACH 10\.99\.200\.1:80/);
    expect(v4.ms).toBeLessThan(10_000);
    const v6 = await connect('[fd00:200::1]:80', Buffer.from('x'), [['ip', '-6', 'route', 'replace', 'unreachable', 'fd00:200::/64']]);
    expect(v6.code).toBe(1);
    expect(v6.stderr).toMatch(/connect ENETUNREACH fd00:200::1:80/);
    // no route at all: ICMP network unreachable (code 0)
    const none = await connect('10.99.201.1:80', Buffer.from('x'));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/connect ENETUNREACH 10\.99\.201\.1:80/);
  }, 60_000);

  it('a blackhole route: no answer at all, and connect gives up with ETIMEDOUT after tcp_syn_retries', async () => {
    // tcp_syn_retries=1: the SYN, one retransmission 1 s later, then 2 s more (RFC 6298 backoff)
    const r = await connect('10.99.202.1:80', Buffer.from('x'), [['ip', 'route', 'replace', 'blackhole', '10.99.202.0/24']], undefined, [
      '--sysctl',
      'tcp_syn_retries=1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connect ETIMEDOUT 10\.99\.202\.1:80/);
    expect(r.ms).toBeGreaterThan(2500);
    expect(r.ms).toBeLessThan(15_000);
  }, 30_000);
});
