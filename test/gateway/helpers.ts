/**
 * The gateway's tests: a guest stack and a gateway stack on the simulated network in real time, the
 * host side on loopback only. The guest connects to a made-up destination (203.0.113.10, TEST-NET-3)
 * that the network delivers to the gateway stack; the gateway's resolveDestination hook maps it to
 * a real server on 127.0.0.1. Nothing is ever sent to a non-loopback address.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { SimNetwork, createGateway, type Gateway, type GatewayOptions, type Stack } from '../../src/index.js';

export const DEST = '203.0.113.10';
export const DEST6 = '2001:db8::10';

export interface Rig {
  sim: SimNetwork;
  guest: Stack;
  gw: Stack;
  gateway: Gateway;
}

/** A guest and a gateway; `port` (and `udpPort`) on 127.0.0.1 stand in for DEST's ports. */
export function rig(options: GatewayOptions & { port?: number; udpPort?: number; guestSysctl?: Record<string, number> } = {}): Rig {
  const { port, udpPort, guestSysctl, ...gwOptions } = options;
  const sim = new SimNetwork({ clock: 'real' });
  const guest = sim.host(['10.0.0.1', 'fd00::1'], guestSysctl ? { sysctl: guestSysctl } : {});
  const gw = sim.host(['10.0.0.254', 'fd00::254']);
  sim.link.attach(DEST, (p) => gw.input(p));
  sim.link.attach(DEST6, (p) => gw.input(p));
  const gateway = createGateway(gw, {
    policy: { rules: [{ action: 'allow', match: '127.0.0.1' }, { action: 'allow', match: '::1' }] },
    resolveDestination: (f) => {
      const p = (f.protocol === 'tcp' ? port : udpPort) ?? f.localPort;
      return f.localAddress === DEST ? { address: '127.0.0.1', port: p } : f.localAddress === DEST6 ? { address: '::1', port: p } : undefined;
    },
    ...gwOptions,
  });
  return { sim, guest, gw, gateway };
}

/** A loopback TCP server (on :: when `host` says so); `onConnection` gets each accepted socket. */
export async function tcpServer(
  onConnection: (s: net.Socket) => void,
  opts: net.ServerOpts = { allowHalfOpen: true },
  host = '127.0.0.1',
): Promise<{ server: net.Server; port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(opts, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return { server, port: (server.address() as net.AddressInfo).port, stop };
}

/** A loopback port with nothing listening (bound, then closed). */
export async function closedTcpPort(): Promise<number> {
  const { server, port } = await tcpServer(() => {});
  await new Promise((r) => server.close(r));
  return port;
}

/** A loopback UDP echo server. */
export async function udpEcho(): Promise<{ socket: dgram.Socket; port: number }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (m, r) => socket.send(m, r.port, r.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port };
}

/** A loopback UDP port with nothing bound. */
export async function closedUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

/** Resolve once `pred()` holds, polling every 5 ms; reject after `ms`. */
export async function until(pred: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (pred()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** An event, as a promise. */
export function once<T = unknown>(emitter: { once(ev: string, fn: (v: T) => void): unknown }, ev: string): Promise<T> {
  return new Promise((resolve) => emitter.once(ev, resolve));
}
