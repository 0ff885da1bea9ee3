/**
 * `synack gateway` with real peers: a guest namespace whose default route is the gateway's TUN
 * device (--guest-netns), and a server namespace on the gateway's side of a veth pair. Every
 * client is a real Linux program in the guest namespace (curl, wget, getent, socat, iperf3), every
 * server a real one in the server namespace (nginx or a Node server, socat), and synack sits
 * between them terminating the guest's TCP and UDP and relaying through the kernel's sockets.
 * Names resolve through the gateway's DNS from a test hosts file (--hosts), never the machine's
 * DNS. Layout in netns-support.ts; everything is torn down in afterAll.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, metric } from '../interop/helpers.js';
import { GATEWAY_IP, GUEST_IP, SERVER_IP, SERVER_IP6, gatewayTestsUnavailable, have, startWorld, until, type GatewayWorld } from './netns-support.js';

const why = gatewayTestsUnavailable(['curl', 'wget', 'socat', 'getent']);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(why !== null)(`synack gateway between a guest namespace and a server namespace${why ? ` (skipped: ${why})` : ''}`, () => {
  let w: GatewayWorld;

  beforeAll(async () => {
    w = await startWorld();
  }, 60_000);

  afterAll(async () => {
    await w?.destroy();
  });

  const scrape = async (): Promise<string> => {
    const r = await w.gw.run(['curl', '-sS', '--max-time', '5', `http://127.0.0.1:${w.metricsPort}/metrics`]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.toString();
  };

  describe('--guest-netns: the namespace is the guest', () => {
    it('the device is in the guest namespace with the guest address, and the default route goes via the gateway', () => {
      expect(w.guest.sync(['ip', '-4', 'addr', 'show', 'dev', 'sg0'])).toContain(`inet ${GUEST_IP}/24`);
      expect(w.guest.sync(['ip', 'route', 'show', 'default'])).toMatch(new RegExp(`^default via ${GATEWAY_IP.replace(/\./g, '\\.')} dev sg0 onlink`));
      expect(w.guest.sync(['ip', '-6', 'route', 'show', 'default'])).toMatch(/^default via fd00:2::2 dev sg0/);
      // and not in the gateway's namespace, whose sockets reach the server directly
      expect(spawnSync('ip', ['netns', 'exec', w.gw.name, 'ip', 'link', 'show', 'sg0']).status).not.toBe(0);
    });
  });

  describe('TCP relayed: HTTP from the guest', () => {
    it('curl fetches the page by address', async () => {
      const r = await w.guest.run(['curl', '-sS', '--max-time', '10', `http://${SERVER_IP}/`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe(w.page);
    });

    it('wget fetches the page by name: server.test resolved by the gateway DNS', async () => {
      const r = await w.guest.run(['wget', '-q', '-O', '-', '--timeout=10', '--tries=1', 'http://server.test/']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe(w.page);
    });

    it('curl -6 by name: the AAAA answer, relayed over IPv6', async () => {
      const r = await w.guest.run(['curl', '-6', '-sS', '--max-time', '10', '-w', '%{remote_ip}', '-o', '/dev/null', 'http://server.test/']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe(SERVER_IP6);
    });

    it('an 8 MiB download arrives intact (sha256)', async () => {
      const r = await w.guest.run(['curl', '-sS', '--max-time', '60', `http://${SERVER_IP}/big.bin`], { timeoutMs: 70_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBe(w.big.length);
      expect(sha(r.stdout)).toBe(sha(w.big));
    }, 80_000);

    it('an upload with a half-close crosses both legs: the server sees our FIN, answers, and closes', async () => {
      const data = w.big.subarray(0, 3 << 20);
      // socat sends stdin, then shuts down its sending side; the sink answers once it sees the end
      const r = await w.guest.run(['socat', '-t', '10', '-T', '30', 'STDIO', `TCP4:${SERVER_IP}:9000`], { input: data, timeoutMs: 40_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe(`${data.length} ${sha(data)}\n`);
    }, 50_000);
  });

  describe('refusals look as on a real network', () => {
    it('a closed port on the server: curl says Connection refused (exit 7)', async () => {
      const r = await w.guest.run(['curl', '-sS', '--max-time', '10', `http://${SERVER_IP}:81/`]);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/Connection refused|Couldn't connect to server/);
    });

    it("a destination the policy denies (a private address not allowed) is refused too, and counted by reason", async () => {
      const r = await w.guest.run(['curl', '-sS', '--max-time', '10', 'http://192.168.77.1/']);
      expect(r.code).toBe(7);
      expect(metric(await scrape(), 'synack_gateway_flows_refused_total', 'reason="policy"')).toBeGreaterThanOrEqual(1);
    });
  });

  describe("DNS on the gateway's address", () => {
    it('getent hosts (glibc, over UDP) resolves a name from the --hosts file', async () => {
      const r = await w.guest.run(['getent', 'ahostsv4', 'server.test']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toContain(SERVER_IP);
    });

    it('a name that is not in it is NXDOMAIN: getent exits 2', async () => {
      const r = await w.guest.run(['getent', 'hosts', 'nowhere.test']);
      expect(r.code).toBe(2);
      expect(metric(await scrape(), 'synack_dns_responses_total', 'rcode="NXDOMAIN"')).toBeGreaterThanOrEqual(1);
    });

    it("an answer too long for UDP is truncated (TC), and glibc's stub asks again over TCP and gets it whole", async () => {
      const before = await scrape();
      const r = await w.guest.run(['getent', 'ahostsv4', 'many.test']);
      expect(r.code, r.stderr).toBe(0);
      const addresses = new Set(r.stdout.toString().split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]));
      expect(addresses.size).toBe(40);
      const after = await scrape();
      expect(metric(after, 'synack_dns_truncated_total')).toBeGreaterThan(metric(before, 'synack_dns_truncated_total'));
      expect(metric(after, 'synack_dns_queries_total', 'transport="tcp"')).toBeGreaterThan(metric(before, 'synack_dns_queries_total', 'transport="tcp"'));
    });

    it('a query over TCP from the kernel (two-byte length prefix) is answered', async () => {
      // A for server.test, ID 0x4242, RD, asked over TCP port 53 from the guest's own TCP
      const script = `
        const net = require('node:net');
        const q = Buffer.from('424201000001000000000000067365727665720474657374000001' + '0001', 'hex');
        const s = net.connect(53, '${GATEWAY_IP}', () => s.write(Buffer.concat([Buffer.from([0, q.length]), q])));
        let b = Buffer.alloc(0);
        s.on('data', (d) => { b = Buffer.concat([b, d]); if (b.length >= 2 && b.length >= 2 + b.readUInt16BE(0)) { console.log(b.subarray(2).toString('hex')); s.end(); } });
        s.setTimeout(5000, () => { console.log('timeout'); process.exit(1); });`;
      const r = await w.guest.run([process.execPath, '-e', script]);
      expect(r.code, r.stderr).toBe(0);
      const hex = r.stdout.toString().trim();
      expect(hex.slice(0, 8)).toBe('42428180'); // our ID; QR, RD, RA; NOERROR
      expect(hex.endsWith('0004' + '0a620002')).toBe(true); // an A record: 10.98.0.2
    });
  });

  describe('UDP relayed', () => {
    it('socat UDP echo through the gateway', async () => {
      const r = await w.guest.run(['socat', '-t', '1', 'STDIO', `UDP4:${SERVER_IP}:7`], { input: 'hello through synack\n', timeoutMs: 15_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.toString()).toBe('hello through synack\n');
    });
  });

  describe.skipIf(!have('iperf3'))('bulk (iperf3)', () => {
    it('iperf3 for 2 s: what is sent is received, all but what was still in flight when the receiver stopped counting', async () => {
      const srv = w.server.start(['iperf3', '-s', '-1', '-B', SERVER_IP]);
      await until(() => w.server.sync(['ss', '-ltn']).includes(`${SERVER_IP}:5201`), 10_000, 'iperf3 -s');
      const r = await w.guest.run(['iperf3', '-c', SERVER_IP, '-t', '2', '-J'], { timeoutMs: 30_000 });
      expect(r.code, r.stderr || r.stdout.toString().slice(0, 500)).toBe(0);
      const j = JSON.parse(r.stdout.toString()) as { end: { sum_sent: { bytes: number }; sum_received: { bytes: number } } };
      expect(j.end.sum_sent.bytes).toBeGreaterThan(1 << 20);
      // iperf3's receiver stops counting at the end message; what the buffers on the way held then
      // (the guest's, synack's two legs', the server's) is delivered but not counted
      expect(j.end.sum_received.bytes).toBeLessThanOrEqual(j.end.sum_sent.bytes);
      expect(j.end.sum_sent.bytes - j.end.sum_received.bytes).toBeLessThan(16 << 20);
      srv.kill('SIGKILL');
    }, 40_000);
  });

  describe('observing it: synack ss and the metrics', () => {
    it('synack ss --from shows a held connection with both legs established', async () => {
      const held = w.guest.start(['socat', '-T', '20', 'STDIO', `TCP4:${SERVER_IP}:9000`]);
      try {
        let text = '';
        await until(
          () => {
            const r = spawnSync(process.execPath, [CLI, 'ss', '--from', w.controlPath], { encoding: 'utf8' });
            text = r.stdout;
            return /tcp +10\.0\.2\.15:\d+ +10\.98\.0\.2:9000 +ESTAB +10\.98\.0\.1:\d+ +ESTAB/.test(text);
          },
          10_000,
          'the held flow in synack ss',
        );
        expect(text).toMatch(/^Relayed flows: \d+ \(guest leg: synack's state; host leg: the kernel socket's\)$/m);
        // the guest leg is a synack socket too: the ss table above lists it from the destination's side
        expect(text).toMatch(/ESTAB +0 +0 +10\.98\.0\.2:9000 +10\.0\.2\.15:\d+/);
      } finally {
        held.kill('SIGKILL');
      }
    });

    it('the metrics count relayed flows and bytes, by protocol', async () => {
      const text = await scrape();
      expect(metric(text, 'synack_gateway_flows_relayed_total', 'protocol="tcp"')).toBeGreaterThanOrEqual(4);
      expect(metric(text, 'synack_gateway_flows_relayed_total', 'protocol="udp"')).toBeGreaterThanOrEqual(1);
      expect(metric(text, 'synack_gateway_bytes_total', 'protocol="tcp",direction="to_guest"')).toBeGreaterThanOrEqual(w.big.length);
      expect(metric(text, 'synack_dns_queries_total', 'transport="tcp"')).toBeGreaterThanOrEqual(1);
    });
  });

  describe('shutdown', () => {
    it('SIGTERM ends a relayed connection with a FIN on both legs and exits 0', async () => {
      const held = w.guest.start(['socat', '-T', '20', 'STDIO', `TCP4:${SERVER_IP}:9001`]);
      const heldExit = new Promise<number | null>((r) => held.once('exit', (code) => r(code)));
      held.stdin!.write('partial');
      await until(
        () => /10\.98\.0\.2:9001 +ESTAB/.test(spawnSync(process.execPath, [CLI, 'ss', '--from', w.controlPath], { encoding: 'utf8' }).stdout),
        10_000,
        'the flow',
      );
      w.gateway.child.kill('SIGTERM');
      expect(await w.gateway.exit(15_000)).toBe(0);
      // nothing was left for the drain timeout to reset
      expect(w.gateway.text).toMatch(/^synack gateway: SIGTERM: \d+ relayed flows? ended in \d+ ms, every TCP flow with a FIN on both legs$/m);
      // the server saw a FIN after the 7 bytes, not a reset
      expect(await w.finLog.waitFor(/^(end|error) /, 10_000)).toBe('end 7');
      // the guest saw a FIN: socat ends normally (a reset would be an error, exit 1)
      expect(await heldExit).toBe(0);
    }, 40_000);

    it('--pcap captured the guest link: a pcap of raw IP packets (LINKTYPE_RAW), thousands of them', () => {
      const pcap = readFileSync(join(w.dir, 'guest.pcap'));
      expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
      expect(pcap.readUInt32LE(20)).toBe(101);
      let records = 0;
      for (let at = 24; at + 16 <= pcap.length; at += 16 + pcap.readUInt32LE(at + 8)) records++;
      expect(records).toBeGreaterThan(1000); // the downloads alone are thousands of segments
    });
  });
});
