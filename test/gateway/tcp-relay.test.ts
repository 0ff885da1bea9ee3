/**
 * TCP through the gateway, host side on loopback: the guest's node:net client (on synack) talks to
 * a real node:net server on 127.0.0.1 through the gateway, which must carry data, half-closes and
 * resets across its two legs and answer as the destination answered.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEST, DEST6, closedTcpPort, once, rig, tcpServer, until, type Rig } from './helpers.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(onConnection: (s: net.Socket) => void, options: Parameters<typeof rig>[0] = {}): Promise<Rig & { port: number }> {
  const { stop, port } = await tcpServer(onConnection);
  const r = rig({ port, ...options });
  cleanup.push(stop, () => r.gateway.close({ timeout: 100 }));
  return { ...r, port };
}

describe('data both ways', () => {
  it('bytes from each side arrive whole and in order at the other, and are counted', async () => {
    const size = 300_000;
    const fromHost = Buffer.alloc(size, 0).map((_, i) => (i * 7) & 0xff);
    let atHost = Buffer.alloc(0);
    const { guest, gateway } = await setup((s) => {
      s.on('data', (d: Buffer) => (atHost = Buffer.concat([atHost, d])));
      s.end(fromHost);
    });
    const c = guest.net.connect({ port: 80, host: DEST, allowHalfOpen: true });
    const fromGuest = Buffer.alloc(size, 0).map((_, i) => (i * 13) & 0xff);
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.end(fromGuest);
    await once(c, 'close');
    expect(Buffer.concat(chunks).equals(fromHost)).toBe(true);
    await until(() => atHost.length === size, 5_000, 'the host to read everything');
    expect(atHost.equals(fromGuest)).toBe(true);
    expect(gateway.counters.tcp).toMatchObject({ relayed: 1, bytesToHost: size, bytesToGuest: size });
  });

  it('backpressure: a host that does not read stops the guest\'s data on the way instead of buffering it all', async () => {
    let hostSocket: net.Socket | null = null;
    let atHost = 0;
    const { guest, gateway } = await setup((s) => {
      hostSocket = s;
      s.pause();
      s.on('data', (d: Buffer) => (atHost += d.length));
    });
    const c = guest.net.connect(80, DEST);
    await once(c, 'connect');
    const size = 24 * 1024 * 1024;
    c.end(Buffer.alloc(size, 1));
    // wait until the relay stops moving bytes (unchanged over 300 ms; bounded), however busy the machine
    let relayed = -1;
    for (let i = 0; i < 50 && gateway.counters.tcp.bytesToHost !== relayed; i++) {
      relayed = gateway.counters.tcp.bytesToHost;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(gateway.counters.tcp.bytesToHost).toBe(relayed);
    // stalled short of the whole: held only by the buffers on the way (synack's windows, the
    // gateway's socket buffers, the host kernel's socket buffers)
    expect(relayed).toBeLessThan(size);
    hostSocket!.resume();
    await until(() => atHost === size, 20_000, 'everything at the host once it reads');
  }, 45_000);

  it('over IPv6: a guest connection to an IPv6 destination is relayed to ::1', async () => {
    const { stop, port } = await tcpServer((s) => s.end(`you are ${s.remoteAddress}`), { allowHalfOpen: true }, '::1');
    const r = rig({ port });
    cleanup.push(stop, () => r.gateway.close({ timeout: 100 }));
    const c = r.guest.net.connect(80, DEST6);
    let got = '';
    c.on('data', (d) => (got += d));
    await once(c, 'end');
    expect(got).toBe('you are ::1');
    expect(c.remoteAddress).toBe(DEST6);
  });
});

describe('half-close carried both ways', () => {
  it('the guest\'s FIN ends the host socket\'s reading side; the host can still answer', async () => {
    const { guest } = await setup((s) => {
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('end', () => s.end(`answer to ${got}`));
    });
    const c = guest.net.connect({ port: 80, host: DEST, allowHalfOpen: true });
    let reply = '';
    c.on('data', (d) => (reply += d));
    c.end('question');
    await once(c, 'end');
    expect(reply).toBe('answer to question');
  });

  it('the host\'s FIN ends the guest socket\'s reading side; the guest can still send', async () => {
    let late = '';
    let hostEnded = false;
    const { guest } = await setup((s) => {
      s.on('data', (d) => (late += d));
      s.on('end', () => (hostEnded = true));
      s.end('bye');
    });
    const c = guest.net.connect({ port: 80, host: DEST, allowHalfOpen: true });
    let got = '';
    c.on('data', (d) => (got += d));
    await once(c, 'end');
    expect(got).toBe('bye');
    expect(c.tcpState).toBe('CLOSE_WAIT');
    c.end('after your FIN');
    await until(() => hostEnded, 5_000, "the guest's FIN at the host");
    expect(late).toBe('after your FIN');
  });
});

describe('resets carried both ways', () => {
  it('the guest resets: the host socket gets ECONNRESET', async () => {
    let hostErr: NodeJS.ErrnoException | null = null;
    let hostGot = false;
    const { guest, gateway } = await setup((s) => {
      s.on('error', (e) => (hostErr = e));
      s.on('data', () => (hostGot = true));
    });
    const c = guest.net.connect(80, DEST);
    await once(c, 'connect');
    c.write('x');
    await until(() => hostGot, 5_000, 'the data at the host');
    c.resetAndDestroy();
    await until(() => hostErr !== null, 5_000, 'the reset at the host');
    expect(hostErr!.code).toBe('ECONNRESET');
    expect(gateway.counters.tcp.resetsToHost).toBe(1);
  });

  it('the host resets: the guest socket gets ECONNRESET', async () => {
    const { guest, gateway } = await setup((s) => {
      s.once('data', () => s.resetAndDestroy());
    });
    const c = guest.net.connect(80, DEST);
    c.write('x');
    const err = await once<NodeJS.ErrnoException>(c, 'error');
    expect(err.code).toBe('ECONNRESET');
    expect(gateway.counters.tcp.resetsToGuest).toBe(1);
  });
});

describe('the guest gets what the destination did', () => {
  it('a closed port: the host connect is refused, and so is the guest\'s (ECONNREFUSED)', async () => {
    const port = await closedTcpPort();
    const r = rig({ port });
    cleanup.push(() => r.gateway.close());
    const c = r.guest.net.connect(80, DEST);
    const err = await once<NodeJS.ErrnoException>(c, 'error');
    expect(err.code).toBe('ECONNREFUSED');
    expect(r.gateway.counters.tcp.refused).toEqual({ host_econnrefused: 1 });
  });

  it('a destination the policy denies is refused without a host connect (counted "policy")', async () => {
    let reached = 0;
    const { guest, gateway } = await setup(() => reached++, { policy: {} });
    const c = guest.net.connect(80, DEST);
    const err = await once<NodeJS.ErrnoException>(c, 'error');
    expect(err.code).toBe('ECONNREFUSED');
    expect(gateway.counters.tcp.refused).toEqual({ policy: 1 });
    expect(reached).toBe(0);
  });

  it('denied: "drop" answers nothing; the guest times out', async () => {
    const { guest, gateway } = await setup(() => {}, { policy: {}, denied: 'drop', guestSysctl: { tcp_syn_retries: 1 } });
    const c = guest.net.connect(80, DEST);
    const err = await once<NodeJS.ErrnoException>(c, 'error');
    expect(err.code).toBe('ETIMEDOUT');
    expect(gateway.counters.tcp.dropped.policy).toBe(2); // the SYN and its one retransmission
  }, 10_000);

  it.each(['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT'])('the host connect fails with %s: the guest gets no answer (dropped), as on the real path', async (code) => {
    // the host side of an unreachable destination, as node:net reports it: the socket is destroyed with the errno
    const unreachable = (): net.Socket => {
      const s = new net.Socket({ allowHalfOpen: true });
      process.nextTick(() => s.destroy(Object.assign(new Error(`connect ${code} ${DEST}:80`), { code, syscall: 'connect' })));
      return s;
    };
    const r = rig({ tcp: { connect: unreachable } });
    cleanup.push(() => r.gateway.close({ timeout: 100 }));
    const c = r.guest.net.connect(80, DEST);
    c.on('error', () => {});
    await until(() => (r.gateway.counters.tcp.dropped[`host_${code.toLowerCase()}`] ?? 0) === 1, 2_000, 'the drop');
    await new Promise((res) => setTimeout(res, 200));
    expect(c.tcpState).toBe('SYN_SENT');
    expect(r.gateway.counters.tcp.refused).toEqual({});
    c.destroy();
  });

  it('the gateway\'s own address, unmapped, is refused (gateway_address)', async () => {
    const { guest, gateway } = await setup(() => {});
    const c = guest.net.connect(22, '10.0.0.254');
    const err = await once<NodeJS.ErrnoException>(c, 'error');
    expect(err.code).toBe('ECONNREFUSED');
    expect(gateway.counters.tcp.refused).toEqual({ gateway_address: 1 });
  });

  it('resolveDestination may refuse a flow by naming a reason', async () => {
    const { guest, gateway } = await setup(() => {}, { resolveDestination: () => 'not_here' });
    const err = await once<NodeJS.ErrnoException>(guest.net.connect(80, DEST), 'error');
    expect(err.code).toBe('ECONNREFUSED');
    expect(gateway.counters.tcp.refused).toEqual({ not_here: 1 });
  });
});

describe('connections(): both legs of every flow', () => {
  it('the guest leg with synack\'s state, the host leg with its real socket\'s ends', async () => {
    let hostSide: net.Socket | null = null;
    const { guest, gateway, port } = await setup((s) => (hostSide = s));
    const c = guest.net.connect(80, DEST);
    await once(c, 'connect');
    await until(() => hostSide !== null && gateway.connections()[0]?.guest.state === 'ESTABLISHED', 5_000, 'both legs');
    const [flow] = gateway.connections();
    expect(flow).toMatchObject({
      protocol: 'tcp',
      guest: { localAddress: DEST, localPort: 80, remoteAddress: '10.0.0.1', remotePort: c.localPort, state: 'ESTABLISHED' },
      host: { localAddress: '127.0.0.1', localPort: hostSide!.remotePort, remoteAddress: '127.0.0.1', remotePort: port, state: 'open' },
    });
    c.end();
    // the guest's FIN, carried: our FIN went to the host (its socket can only read now)
    await until(() => gateway.connections()[0]?.host.state === 'readOnly', 5_000, 'the FIN on the host leg');
    expect(gateway.connections()[0]?.guest.state).toBe('CLOSE_WAIT');
    hostSide!.end();
    await until(() => gateway.connections().length === 0, 5_000, 'the flow to end');
  });
});

describe('close(): FIN on both legs, no new flows', () => {
  it('both the guest and the host socket see an orderly end; close() resolves once the flow is gone', async () => {
    let hostEnded = false;
    const { guest, gw, gateway } = await setup((s) => {
      s.on('data', () => {});
      s.on('end', () => {
        hostEnded = true;
        s.end();
      });
    });
    const c = guest.net.connect(80, DEST);
    await once(c, 'connect');
    await until(() => gateway.size.tcp === 1 && gateway.connections()[0]!.guest.state === 'ESTABLISHED', 5_000, 'the flow');
    const guestEnded = once(c, 'end');
    const closed = gateway.close();
    await guestEnded;
    await until(() => hostEnded, 5_000, 'the FIN at the host');
    await closed;
    expect(gateway.size).toEqual({ tcp: 0, udp: 0 });
    // no more forwarding: a new SYN to the made-up address is not for this stack
    const before = gw.counters.drops.not_for_us ?? 0;
    guest.net.connect(80, DEST).on('error', () => {});
    await until(() => (gw.counters.drops.not_for_us ?? 0) > before, 3_000, 'the SYN to be dropped');
  });
});
