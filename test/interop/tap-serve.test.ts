/**
 * `synack serve` on a TAP device: the kernel resolves synack's IPv4 address by ARP (and its IPv6
 * address by neighbour discovery) and fetches pages through it, inside a namespace this file
 * creates and deletes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, interopUnavailable } from './helpers.js';

const why = interopUnavailable(['curl']);
const MAC = '02:00:00:00:98:02';

describe.skipIf(why !== null)(`synack serve on TAP: ARP and neighbour discovery${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();

  beforeAll(async () => {
    ns.create();
    await ns.serve(['--tap', 'synacktap0', '--mac', MAC, '--ip', '10.98.0.2', '--ip', 'fd00:98::2',
      '--peer-ip', '10.98.0.1/24', '--peer-ip', 'fd00:98::1/64', '--services', 'http,echo']);
  }, 45_000);

  afterAll(async () => {
    await ns.destroy();
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
});
