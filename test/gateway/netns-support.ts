/**
 * The world the gateway's real-peer tests run in, made of namespaces this file creates (names with
 * the test process's pid) and deletes, so nothing touches the machine's own network:
 *
 *   guest ns                      gateway ns                           server ns
 *   10.0.2.15/24, fd00:2::15/64   synack gateway --tun sg0             10.98.0.2/24, fd00:98::2/64
 *   default via 10.0.2.2  ──TUN──  (the device lives in the guest ns)   nginx (or node http), socat,
 *   resolv.conf: 10.0.2.2         veth 10.98.0.1/24 ───────────────────  iperf3, a sha256 sink
 *
 * The guest's resolv.conf is /etc/netns/GUEST/resolv.conf, which `ip netns exec` mounts over
 * /etc/resolv.conf for processes in that namespace only; it is removed with the namespaces.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, Netns, Output, sleep } from '../interop/helpers.js';

export const GATEWAY_IP = '10.0.2.2';
export const GATEWAY_IP6 = 'fd00:2::2';
export const GUEST_IP = '10.0.2.15';
export const SERVER_IP = '10.98.0.2';
export const SERVER_IP6 = 'fd00:98::2';

/** Why these tests cannot run here, or null. */
export function gatewayTestsUnavailable(tools: string[]): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TUN devices)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  for (const t of ['ip', ...tools]) {
    if (spawnSync('sh', ['-c', `command -v ${t} || test -x /usr/sbin/${t}`]).status !== 0) return `${t} is not installed`;
  }
  return null;
}

/** Whether a tool is installed (PATH or /usr/sbin). */
export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).status === 0;
}

/** A Node http server over a directory, for when nginx is not installed. */
const NODE_HTTP = `
import http from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
const dir = process.env.DIR;
http.createServer((req, res) => {
  const file = join(dir, req.url === '/' ? 'index.html' : req.url.slice(1));
  let size;
  try { size = statSync(file).size; } catch { res.writeHead(404); return res.end('not found\\n'); }
  res.writeHead(200, { 'content-length': size });
  createReadStream(file).pipe(res);
}).listen(80, '::', () => console.log('ready'));
`;

/** Reads a connection to its end, then answers "BYTES SHA256" and closes: proves a half-close crossed both legs. */
const SHA_SINK = `
import net from 'node:net';
import { createHash } from 'node:crypto';
net.createServer({ allowHalfOpen: true }, (s) => {
  const h = createHash('sha256');
  let n = 0;
  s.on('data', (d) => { n += d.length; h.update(d); });
  s.on('end', () => s.end(n + ' ' + h.digest('hex') + '\\n'));
  s.on('error', () => {});
}).listen(9000, '::', () => console.log('ready'));
`;

/** Says how each connection ended: "end BYTES" on a FIN, "error CODE" on a reset. */
const FIN_LOG = `
import net from 'node:net';
net.createServer({ allowHalfOpen: true }, (s) => {
  let n = 0;
  s.on('data', (d) => (n += d.length));
  s.on('end', () => { console.log('end ' + n); s.end(); });
  s.on('error', (e) => console.log('error ' + e.code));
}).listen(9001, '::', () => console.log('ready'));
`;

/** The gateway's namespace, the server's behind it, and the servers. */
export interface ServerSide {
  gw: Netns;
  server: Netns;
  dir: string;
  /** the page at / */
  page: string;
  /** bytes of /big.bin */
  big: Buffer;
  usingNginx: boolean;
  /** the server on port 9001 that logs how each connection ended */
  finLog: Output;
  /** hosts(5) text naming server.test */
  hosts: string;
  destroy(): Promise<void>;
}

export interface GatewayWorld extends ServerSide {
  guest: Netns;
  /** the running `synack gateway` */
  gateway: Output;
  controlPath: string;
  metricsPort: number;
}

function sh(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Wait (bounded) until `ok` holds. */
export async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** The gateway's namespace and the server namespace behind it on a veth pair, with the servers running. */
export async function startServerSide(): Promise<ServerSide> {
  const gw = new Netns();
  const server = new Netns();
  const dir = mkdtempSync(join(tmpdir(), 'synack-gw-'));
  chmodSync(dir, 0o755); // nginx's workers run as nobody and must read the files
  const destroy = async (): Promise<void> => {
    await Promise.all([gw.destroy(), server.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    gw.create();
    server.create();
    sh(['ip', 'link', 'add', 'vg0', 'netns', gw.name, 'type', 'veth', 'peer', 'name', 'vs0', 'netns', server.name]);
    gw.sync(['ip', 'addr', 'add', '10.98.0.1/24', 'dev', 'vg0']);
    gw.sync(['ip', 'addr', 'add', 'fd00:98::1/64', 'dev', 'vg0', 'nodad']);
    gw.sync(['ip', 'link', 'set', 'vg0', 'up']);
    server.sync(['ip', 'addr', 'add', `${SERVER_IP}/24`, 'dev', 'vs0']);
    server.sync(['ip', 'addr', 'add', `${SERVER_IP6}/64`, 'dev', 'vs0', 'nodad']);
    server.sync(['ip', 'link', 'set', 'vs0', 'up']);

    const page = `<!doctype html><title>behind the gateway</title><h1>served from ${server.name}</h1>\n`;
    const big = Buffer.alloc(8 << 20);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
    // many.test: 40 addresses, an answer too long for a 512-byte UDP response
    const many = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1} many.test`).join('\n');
    const hosts = `# the guest's names, answered by the gateway\n${SERVER_IP} server.test\n${SERVER_IP6} server.test\n${many}\n`;
    writeFileSync(join(dir, 'index.html'), page);
    writeFileSync(join(dir, 'big.bin'), big);
    writeFileSync(join(dir, 'hosts'), hosts);

    const usingNginx = have('nginx');
    if (usingNginx) {
      writeFileSync(
        join(dir, 'nginx.conf'),
        `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 1024; }\n` +
          `http { access_log off; default_type text/html;\n  server { listen 80; listen [::]:80; root ${dir}; location / { index index.html; } } }\n`,
      );
      server.start(['nginx', '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']);
    } else {
      server.start(['env', `DIR=${dir}`, process.execPath, '--input-type=module', '-e', NODE_HTTP]);
    }
    await new Output(server.start([process.execPath, '--input-type=module', '-e', SHA_SINK])).waitFor(/ready/);
    const finLog = new Output(server.start([process.execPath, '--input-type=module', '-e', FIN_LOG]));
    await finLog.waitFor(/ready/);
    server.start(['socat', 'UDP4-RECVFROM:7,fork', 'PIPE']);
    await until(() => gw.sync(['sh', '-c', `curl -s -o /dev/null -w '%{http_code}' http://${SERVER_IP}/ || true`]) === '200', 10_000, 'the web server');
    return { gw, server, dir, page, big, usingNginx, finLog, hosts, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** The server side, a guest namespace, and `synack gateway` (with `extra` arguments) between them. */
export async function startWorld(extra: string[] = []): Promise<GatewayWorld> {
  const side = await startServerSide();
  const guest = new Netns();
  const destroy = async (): Promise<void> => {
    await guest.destroy();
    rmSync(`/etc/netns/${guest.name}`, { recursive: true, force: true });
    await side.destroy();
  };
  try {
    guest.create();
    mkdirSync(`/etc/netns/${guest.name}`, { recursive: true });
    writeFileSync(`/etc/netns/${guest.name}/resolv.conf`, `nameserver ${GATEWAY_IP}\noptions timeout:2 attempts:2\n`);
    const controlPath = join(side.dir, 'gateway.sock');
    const metricsPort = 9466;
    const args = [
      'gateway', '--tun', 'sg0', '--ip', GATEWAY_IP, '--ip', GATEWAY_IP6,
      '--guest-netns', guest.name, '--guest-ip', `${GUEST_IP}/24`, '--guest-ip', 'fd00:2::15/64',
      '--allow', '10.98.0.0/24', '--allow', 'fd00:98::/64',
      '--hosts', join(side.dir, 'hosts'), '--metrics', String(metricsPort), '--control', controlPath,
      '--pcap', join(side.dir, 'guest.pcap'),
      ...extra,
    ];
    const gateway = new Output(side.gw.start([process.execPath, CLI, ...args]));
    await gateway.waitFor(/^synack gateway: /, 30_000);
    return { ...side, guest, gateway, controlPath, metricsPort, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
