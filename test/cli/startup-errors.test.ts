/**
 * `synack serve` / `synack connect` start all or nothing: a fatal start-up error prints one line in
 * the CLI's error style and exits 1 after closing what was open; what is probably a mistake is
 * refused or warned about before any device is touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLinkFlags, explainDeviceError, inUserNamespace, type LinkFlags } from '../../src/cli/link-options.js';
import { checkServicePorts, startServices } from '../../src/cli/serve.js';
import { makeError } from '../../src/errors.js';
import { parseServiceList } from '../../src/services/index.js';
import { Stack } from '../../src/stack/stack.js';
import { Netns, interopUnavailable } from '../interop/helpers.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
/** A device name no other test uses; it must never be created by the refused starts below. */
const IFNAME = `sk15e${process.pid % 100000}`;

function run(args: string[], timeout = 20_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const flags = (over: Partial<LinkFlags>): LinkFlags => ({ ip: [], peerIp: [], sysctl: [], ...over });

describe('synack serve: a fatal start-up error exits 1 after cleaning up', () => {
  let taken: net.Server;
  let port = 0;
  beforeAll(async () => {
    taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    port = (taken.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it('--metrics on a port already taken: "listen EADDRINUSE", exit 1, no ready line, no device left', async () => {
    const r = await run(['serve', '--tun', IFNAME, '--ip', '10.99.0.2', '--metrics', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(`synack serve: --metrics 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port} (EADDRINUSE)\n`);
    expect(existsSync(`/sys/class/net/${IFNAME}`)).toBe(false);
  });

  it('--metrics on an address this host does not have: EADDRNOTAVAIL, exit 1', async () => {
    const r = await run(['serve', '--tun', IFNAME, '--ip', '10.99.0.2', '--metrics', '192.0.2.1:9100']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^synack serve: --metrics 192\.0\.2\.1:9100: listen EADDRNOTAVAIL: .* \(EADDRNOTAVAIL\)\n$/);
    expect(existsSync(`/sys/class/net/${IFNAME}`)).toBe(false);
  });

  it('two services on one port (--services echo:7,discard:7) are refused before the device is opened', async () => {
    const r = await run(['serve', '--tun', IFNAME, '--ip', '10.99.0.2', '--services', 'echo:7,discard:7']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('synack serve: --services: echo and discard both on port 7; give one another port (NAME:PORT) (ERR_INVALID_ARG_VALUE)\n');
    expect(() => checkServicePorts(parseServiceList('echo,discard,http:8080'))).not.toThrow();
  });

  it('a service that cannot listen is fatal: startServices rejects with NAME:PORT and closes the ones already listening', async () => {
    const stack = new Stack({ addresses: ['10.0.0.2'] });
    try {
      const blocker = stack.net.createServer().listen(9, '10.0.0.2');
      await expect(startServices(stack.net, parseServiceList('echo:7,discard:9'))).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringMatching(/^discard:9: listen EADDRINUSE/) });
      expect(stack.stateCounts()).toEqual({ LISTEN: 1 }); // echo closed again; only the blocker listens
      blocker.close();
    } finally {
      stack.destroy();
    }
  });
});

describe('link options: refused or warned before any device is touched', () => {
  it('--mac with --tun is refused (a TUN device has no Ethernet addresses)', async () => {
    const r = await run(['serve', '--tun', IFNAME, '--ip', '10.99.0.2', '--mac', '02:00:00:00:00:01']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('synack serve: --mac applies to --tap only: a TUN device carries IP packets, with no Ethernet addresses (ERR_INVALID_ARG_VALUE)\n');
  });

  it('--ip equal to the --peer-ip address is warned about (packets to it stay in the kernel)', () => {
    const warnings: string[] = [];
    checkLinkFlags(flags({ tun: 'x', ip: ['10.99.0.1'], peerIp: ['10.99.0.1/24'] }), (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringMatching(/^--ip 10\.99\.0\.1 is the kernel's own address \(--peer-ip 10\.99\.0\.1\/24\)/)]);
  });

  it("--ip outside --peer-ip's subnet is warned about, per family; inside it is not", () => {
    const warnings: string[] = [];
    checkLinkFlags(flags({ tun: 'x', ip: ['10.98.0.2', 'fd00:99::2', '10.99.0.2'], peerIp: ['10.99.0.1/24', 'fd00:98::1/64'] }), (m) => warnings.push(m));
    expect(warnings).toEqual([
      '--ip 10.98.0.2 is outside --peer-ip 10.99.0.1/24: the kernel has no route to it through the device unless you add one',
      '--ip fd00:99::2 is outside --peer-ip fd00:98::1/64: the kernel has no route to it through the device unless you add one',
    ]);
    const none: string[] = [];
    checkLinkFlags(flags({ tap: 'x', ip: ['10.99.0.200', 'fd00:99::2'], peerIp: ['10.99.0.1/24', 'fd00:99::1/64'] }), (m) => none.push(m));
    expect(none).toEqual([]);
  });

  it('the warning is printed in the CLI style, as "synack serve: warning: ..."', async () => {
    const r = await run(['serve', '--tun', IFNAME, '--ip', '10.98.0.2', '--peer-ip', '10.99.0.1/24', '--services', 'echo:7,echo:7']);
    expect(r.err.split('\n')[0]).toBe(
      'synack serve: warning: --ip 10.98.0.2 is outside --peer-ip 10.99.0.1/24: the kernel has no route to it through the device unless you add one',
    );
  });
});

describe('inside a user namespace uid 0 is not the host root', () => {
  const eperm = makeError('ERR_TUN_UNAVAILABLE', 'not allowed to attach tun device x0 (EPERM): it needs root or CAP_NET_ADMIN', {
    cause: makeError('EPERM', 'open'),
  } as never);

  it('uid_map "0 0 4294967295" is the initial namespace; anything else is a user namespace', () => {
    expect(inUserNamespace('         0          0 4294967295\n')).toBe(false);
    expect(inUserNamespace('         0       1000          1\n')).toBe(true);
  });

  it('EPERM as uid 0 in a user namespace says so instead of "needs root"', () => {
    const e = explainDeviceError(eperm, 0, true) as Error;
    expect(e.message).toMatch(/uid 0 here is root of a user namespace/);
    expect(e.message).not.toMatch(/needs root/);
    expect(explainDeviceError(eperm, 1000, true)).toBe(eperm);
    expect(explainDeviceError(eperm, 0, false)).toBe(eperm);
  });

  const unshare = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v unshare']).status === 0 && existsSync('/dev/net/tun');
  it.skipIf(!unshare)('for real: unshare -Ur synack connect (the host network namespace) explains the user namespace', () => {
    const r = spawnSync('unshare', ['-Ur', process.execPath, CLI, 'connect', '--tun', IFNAME, '--ip', '10.99.0.2', '10.99.0.1:7'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^synack connect: not allowed to attach tun device .* uid 0 here is root of a user namespace.* \(ERR_TUN_UNAVAILABLE\)\n$/);
  });
});

const noNetns = interopUnavailable();
describe.skipIf(noNetns !== null)('connect without --peer-ip on a device that is down (in a throwaway namespace)', () => {
  const ns = new Netns();
  beforeAll(() => void ns.create());
  afterAll(() => ns.destroy());

  it('is explained at once (ENETDOWN, exit 1) instead of 127 s of silent SYN retries', async () => {
    const t0 = Date.now();
    const r = await ns.run([process.execPath, CLI, 'connect', '--tun', 'sk0', '--ip', '10.99.0.2', '10.99.0.1:7'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^synack connect: sk0 is down, so nothing can reach 10\.99\.0\.1:7 through it: give --peer-ip ADDR\/PREFIX.* \(ENETDOWN\)\n$/);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});
