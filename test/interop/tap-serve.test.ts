/**
 * `synack serve` on a TAP device: the kernel resolves synack's IPv4 address by ARP (and its IPv6
 * address by neighbour discovery) and fetches pages through it, inside a namespace this file
 * creates and deletes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, interopUnavailable, type Served } from './helpers.js';

const why = interopUnavailable(['curl', 'tshark']);
const MAC = '02:00:00:00:98:02';

describe.skipIf(why !== null)(`synack serve on TAP: ARP and neighbour discovery${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  const dir = mkdtempSync(join(tmpdir(), 'synack-tap-'));
  const pcap = join(dir, 'tap.pcap');
  let served: Served;

  beforeAll(async () => {
    ns.create();
    served = await ns.serve(['--tap', 'synacktap0', '--mac', MAC, '--ip', '10.98.0.2', '--ip', 'fd00:98::2',
      '--peer-ip', '10.98.0.1/24', '--peer-ip', 'fd00:98::1/64', '--services', 'http,echo', '--pcap', pcap]);
  }, 45_000);

  afterAll(async () => {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the kernel resolves 10.98.0.2 by ARP and curl fetches / through the TAP device', async () => {
    const r = await ns.run(['curl', '-sS', '--max-time', '10', 'http://10.98.0.2/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toContain('<h1>synack</h1>');
    const neigh = ns.sync(['ip', 'neigh', 'show', '10.98.0.2', 'dev', 'synacktap0']);
    expect(neigh).toContain(`lladdr ${MAC}`);
    expect(neigh).not.toMatch(/FAILED|INCOMPLETE/);
  });

  it('IPv6 over TAP: neighbour discovery, then curl -6 fetches 100 kB', async () => {
    const r = await ns.run(['curl', '-sS', '--max-time', '10', 'http://[fd00:98::2]/bytes/100000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(100_000);
    const neigh = ns.sync(['ip', '-6', 'neigh', 'show', 'fd00:98::2', 'dev', 'synacktap0']);
    expect(neigh).toContain(`lladdr ${MAC}`);
  });

  it('the Ethernet capture (LINKTYPE_ETHERNET) shows the ARP exchange and is clean in tshark', async () => {
    served.child.kill('SIGTERM');
    expect(await served.out.exit(10_000)).toBe(0);
    const arp = spawnSync('tshark', ['-r', pcap, '-Y', 'arp.opcode == 2', '-T', 'fields', '-e', 'arp.src.proto_ipv4', '-e', 'arp.src.hw_mac'], { encoding: 'utf8' });
    expect(arp.stdout).toContain(`10.98.0.2\t${MAC}`);
    const na = spawnSync('tshark', ['-r', pcap, '-Y', 'icmpv6.type == 136'], { encoding: 'utf8' });
    expect(na.stdout.trim()).not.toBe('');
    const bad = spawnSync('tshark', ['-r', pcap, '-Y', '_ws.malformed || _ws.expert.severity >= warning'], { encoding: 'utf8' });
    expect(bad.status, bad.stderr).toBe(0);
    expect(bad.stdout.trim()).toBe('');
  });
});
