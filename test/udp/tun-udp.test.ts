/**
 * synack's UDP (stack.dgram) on a TUN device against the kernel of a namespace this file creates:
 * a socat UDP echo answers over IPv4 and IPv6, and a closed port's ICMP Port Unreachable from the
 * kernel reaches a connected socket as ECONNREFUSED.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, ROOT, interopUnavailable, sleep } from '../interop/helpers.js';

const why = interopUnavailable(['socat']);

describe.skipIf(why !== null)(`UDP over TUN with the kernel as the peer${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();

  beforeAll(() => {
    ns.create();
  });

  afterAll(async () => {
    await ns.destroy();
  });

  it('a kernel socat UDP echo answers v4 and v6; a closed port gives a connected socket ECONNREFUSED', async () => {
    const echo4 = ns.start(['socat', '-T', '15', 'UDP4-RECVFROM:7008,fork', 'SYSTEM:cat']);
    const echo6 = ns.start(['socat', '-T', '15', 'UDP6-RECVFROM:7008,fork,ipv6only=1', 'SYSTEM:cat']);
    await sleep(200);
    const r = await ns.run([process.execPath, join(ROOT, 'test', 'udp', 'tun-udp-client.mjs'), 'udpt1', '77', '7008', '7999'], { timeoutMs: 20_000 });
    echo4.kill('SIGKILL');
    echo6.kill('SIGKILL');
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.toString().trim().split('\n').pop()!);
    expect(got.udp4).toEqual({ msg: 'ping over udp4', from: '10.99.77.1', port: 7008, family: 'IPv4' });
    expect(got.udp6).toEqual({ msg: 'ping over udp6', from: 'fd00:99:77::1', port: 7008, family: 'IPv6' });
    expect(got['udp4-closed']).toEqual({ code: 'ECONNREFUSED', syscall: 'recvmsg' });
    expect(got['udp6-closed']).toEqual({ code: 'ECONNREFUSED', syscall: 'recvmsg' });
  }, 40_000);
});
