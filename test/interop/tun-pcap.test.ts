/**
 * A `--pcap` capture of a curl run over TUN opens in tshark with no malformed packets and no TCP
 * analysis warnings. Accepted: nothing at severity "warning" or above. Notes and chats (SYN, FIN,
 * "connection establish") are normal events, not problems. No warning is provoked on purpose here,
 * so any RST, retransmission, duplicate ACK, zero window or lost segment fails the test.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, interopUnavailable, type Served } from './helpers.js';

const why = interopUnavailable(['curl', 'tshark']);

describe.skipIf(why !== null)(`--pcap capture of a curl run is clean in tshark${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  const dir = mkdtempSync(join(tmpdir(), 'synack-pcap-'));
  const file = join(dir, 'curl.pcap');
  let served: Served;

  beforeAll(async () => {
    ns.create();
    served = await ns.serve(['--tun', 'synack0', '--ip', '10.99.0.2', '--peer-ip', '10.99.0.1/24', '--pcap', file, '--services', 'http']);
  }, 45_000);

  afterAll(async () => {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('curl fetches / and /bytes/1000000 (keep-alive), then with Connection: close', async () => {
    const a = await ns.run(['curl', '-sS', '--max-time', '20', '-o', '/dev/null', 'http://10.99.0.2/', '-o', '/dev/null', 'http://10.99.0.2/bytes/1000000']);
    expect(a.code, a.stderr).toBe(0);
    const b = await ns.run(['curl', '-sS', '--max-time', '20', '-o', '/dev/null', '-H', 'Connection: close', 'http://10.99.0.2/bytes/1000000']);
    expect(b.code, b.stderr).toBe(0);
    served.child.kill('SIGTERM'); // flushes and closes the capture
    expect(await served.out.exit(10_000)).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(2_000_000);
  }, 60_000);

  it('tshark: no malformed packets, no warnings or errors in its expert analysis', () => {
    const count = spawnSync('tshark', ['-r', file, '-q', '-z', 'io,stat,0'], { encoding: 'utf8', timeout: 60_000 });
    expect(count.status, count.stderr).toBe(0);
    const r = spawnSync('tshark', ['-r', file, '-Y', '_ws.malformed || _ws.expert.severity >= warning'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('');
    // and it is really TCP with HTTP in it: two GETs for the first connection, one for the second
    const gets = spawnSync('tshark', ['-r', file, '-Y', 'http.request.method == "GET"', '-T', 'fields', '-e', 'http.request.uri'], { encoding: 'utf8', timeout: 60_000 });
    expect(gets.stdout.trim().split('\n')).toEqual(['/', '/bytes/1000000', '/bytes/1000000']);
  }, 60_000);
});
