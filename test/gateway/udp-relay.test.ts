/**
 * UDP through the gateway, host side on loopback: one flow per guest 4-tuple with its own host
 * socket, replies from the original destination, Port Unreachable carried back, idle timeouts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEST, closedUdpPort, once, rig, udpEcho, until } from './helpers.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function echoRig(options: Parameters<typeof rig>[0] = {}): Promise<ReturnType<typeof rig>> {
  const echo = await udpEcho();
  const r = rig({ udpPort: echo.port, ...options });
  cleanup.push(() => new Promise<void>((res) => echo.socket.close(() => res())), () => r.gateway.close({ timeout: 100 }));
  return r;
}

describe('a UDP flow through a host socket', () => {
  it('a datagram reaches the host destination, and the reply comes back from the original destination', async () => {
    const { guest, gateway } = await echoRig();
    const s = guest.dgram.createSocket('udp4');
    cleanup.push(() => s.close());
    const reply = once<[Buffer, { address: string; port: number }]>({ once: (ev, fn) => s.once(ev, (m, r) => fn([m, r])) }, 'message');
    s.send('ping', 53, DEST);
    const [msg, from] = await reply;
    expect(msg.toString()).toBe('ping');
    expect([from.address, from.port]).toEqual([DEST, 53]);
    expect(gateway.counters.udp).toMatchObject({ relayed: 1, bytesToHost: 4, bytesToGuest: 4 });
  });

  it('one flow per guest 4-tuple, each with its own host socket; connections() shows both legs', async () => {
    const { guest, gateway } = await echoRig();
    const a = guest.dgram.createSocket('udp4');
    const b = guest.dgram.createSocket('udp4');
    cleanup.push(() => a.close(), () => b.close());
    let replies = 0;
    a.on('message', () => replies++);
    b.on('message', () => replies++);
    a.send('1', 53, DEST);
    a.send('2', 53, DEST);
    b.send('3', 53, DEST);
    await until(() => replies === 3, 5_000, 'three replies');
    const flows = gateway.connections();
    expect(flows.map((f) => [f.protocol, f.guest.localAddress, f.guest.localPort, f.guest.remoteAddress, f.host.remoteAddress])).toEqual([
      ['udp', DEST, 53, '10.0.0.1', '127.0.0.1'],
      ['udp', DEST, 53, '10.0.0.1', '127.0.0.1'],
    ]);
    expect(new Set(flows.map((f) => f.guest.remotePort)).size).toBe(2);
    expect(new Set(flows.map((f) => f.host.localPort)).size).toBe(2);
    expect(flows[0]!.bytesToHost + flows[1]!.bytesToHost).toBe(3);
  });

  it('the destination\'s Port Unreachable reaches the guest from the original destination: ECONNREFUSED on its connected socket', async () => {
    const port = await closedUdpPort();
    const r = rig({ udpPort: port });
    cleanup.push(() => r.gateway.close({ timeout: 100 }));
    const s = r.guest.dgram.createSocket('udp4');
    cleanup.push(() => s.close());
    const errored = once<NodeJS.ErrnoException>(s, 'error');
    s.connect(53, DEST, () => s.send('anyone?'));
    expect((await errored).code).toBe('ECONNREFUSED');
    expect(r.gateway.counters.udp.refused).toEqual({ host_econnrefused: 1 });
  });
});

describe('idle timeouts, as conntrack\'s', () => {
  it('a flow nobody answers ends after idleTimeout; the next datagram opens a new one', async () => {
    const port = await closedUdpPort();
    const r = rig({ udpPort: port, udp: { idleTimeout: 200 } });
    cleanup.push(() => r.gateway.close({ timeout: 100 }));
    const s = r.guest.dgram.createSocket('udp4');
    cleanup.push(() => s.close());
    s.send('x', 53, DEST);
    await until(() => r.gateway.counters.udp.relayed === 1, 5_000, 'the flow');
    await until(() => r.gateway.size.udp === 0, 5_000, 'the idle timeout');
    s.send('y', 53, DEST);
    await until(() => r.gateway.counters.udp.relayed === 2, 5_000, 'a new flow');
  });

  it('a flow the destination answered lives for streamTimeout, longer than idleTimeout', { timeout: 15_000 }, async () => {
    const { guest, gateway } = await echoRig({ udp: { idleTimeout: 100, streamTimeout: 3_000 } });
    const s = guest.dgram.createSocket('udp4');
    cleanup.push(() => s.close());
    const replied = once(s, 'message');
    s.send('x', 53, DEST);
    await replied;
    await new Promise((r) => setTimeout(r, 600));
    expect(gateway.size.udp).toBe(1);
    await until(() => gateway.size.udp === 0, 8_000, 'the stream timeout');
  });
});

describe('policy and limits', () => {
  it('a denied destination is answered with Port Unreachable (counted "policy"); nothing reaches the host', async () => {
    const { guest, gateway } = await echoRig({ policy: {} });
    const s = guest.dgram.createSocket('udp4');
    cleanup.push(() => s.close());
    const errored = once<NodeJS.ErrnoException>(s, 'error');
    s.connect(53, DEST, () => s.send('q'));
    expect((await errored).code).toBe('ECONNREFUSED');
    expect(gateway.counters.udp.refused).toEqual({ policy: 1 });
    expect(gateway.size.udp).toBe(0);
  });

  it('a datagram to the gateway\'s own address that nothing takes is refused (gateway_address)', async () => {
    const { guest, gateway } = await echoRig();
    const s = guest.dgram.createSocket('udp4');
    cleanup.push(() => s.close());
    const errored = once<NodeJS.ErrnoException>(s, 'error');
    s.connect(5353, '10.0.0.254', () => s.send('q'));
    expect((await errored).code).toBe('ECONNREFUSED');
    expect(gateway.counters.udp.refused).toEqual({ gateway_address: 1 });
  });

  it('maxFlowsPerGuest: datagrams that would open one flow too many are dropped and counted', async () => {
    const { guest, gateway } = await echoRig({ udp: { maxFlowsPerGuest: 1 } });
    const a = guest.dgram.createSocket('udp4');
    const b = guest.dgram.createSocket('udp4');
    cleanup.push(() => a.close(), () => b.close());
    a.send('1', 53, DEST);
    await until(() => gateway.size.udp === 1, 2_000, 'the first flow');
    b.send('2', 53, DEST);
    await until(() => (gateway.counters.udp.dropped.flow_guest_limit ?? 0) === 1, 2_000, 'the drop');
    expect(gateway.size.udp).toBe(1);
  });

  it('close() closes every UDP flow', async () => {
    const { guest, gateway } = await echoRig();
    const s = guest.dgram.createSocket('udp4');
    cleanup.push(() => s.close());
    const replied = once(s, 'message');
    s.send('x', 53, DEST);
    await replied;
    await gateway.close();
    expect(gateway.size.udp).toBe(0);
    expect(gateway.connections()).toEqual([]);
  });
});
