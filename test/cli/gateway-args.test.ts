/**
 * `synack gateway`'s arguments: every mistake is one line in the CLI's error style with a code,
 * exit 1, before any device is opened (the device name below must never come to exist).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { metricsAddress, registerGateway } from '../../src/cli/gateway.js';
import { resolverFromFlags } from '../../src/cli/gateway-dns-options.js';
import { checkGuestFlags } from '../../src/cli/gateway-netns.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');
const IFNAME = `sgx${process.pid % 100000}`;
const dir = mkdtempSync(join(tmpdir(), 'synack-gw-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, 'gateway', ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('synack gateway: argument errors, before anything is opened', () => {
  const badHosts = join(dir, 'hosts');
  writeFileSync(badHosts, '10.0.0.1 fine.test\nserver.test 10.0.0.2\n');
  it.each([
    [['--ip', '10.0.2.2'], 'synack gateway: --tun IFNAME is required: the TUN device the guest is on (ERR_INVALID_ARG_VALUE)\n'],
    [['--tun', IFNAME], "synack gateway: --ip ADDR is required: synack's own address on the link (ERR_INVALID_ARG_VALUE)\n"],
    [['--tun', IFNAME, '--ip', '10.0.2.256'], 'synack gateway: --ip: not an IP address: "10.0.2.256" (ERR_INVALID_IP_ADDRESS)\n'],
    [
      ['--tun', IFNAME, '--ip', '10.0.2.2', '--guest-ip', '10.0.2.15/24'],
      "synack gateway: --guest-ip needs --guest-netns NS: the guest address is set inside that namespace (a default route via the gateway in synack's own namespace would loop) (ERR_INVALID_ARG_VALUE)\n",
    ],
    [['--tun', IFNAME, '--ip', '10.0.2.2', '--guest-netns', 'g'], 'synack gateway: --guest-netns needs --guest-ip ADDR/PREFIX: the address the guest namespace gets on the device (ERR_INVALID_ARG_VALUE)\n'],
    [
      ['--tun', IFNAME, '--ip', '10.0.2.2', '--guest-netns', `no-such-ns-${process.pid}`, '--guest-ip', '10.0.2.15/24'],
      `synack gateway: --guest-netns no-such-ns-${process.pid}: no such network namespace (create it with: ip netns add no-such-ns-${process.pid}) (ERR_GUEST_NETNS)\n`,
    ],
    [['--tun', IFNAME, '--ip', '10.0.2.2', '--allow', '10.0.0.0/33'], 'synack gateway: policy rule "10.0.0.0/33": prefix length must be 0 to 32 (ERR_INVALID_ARG_VALUE)\n'],
    [['--tun', IFNAME, '--ip', '10.0.2.2', '--deny', '0.0.0.0/0:http'], 'synack gateway: policy rule "0.0.0.0/0:http": "http" is not a port (1-65535) or range LOW-HIGH (ERR_INVALID_ARG_VALUE)\n'],
    [['--tun', IFNAME, '--ip', '10.0.2.2', '--hosts', badHosts], `synack gateway: ${badHosts}:2: "server.test" is not an IP address (hosts(5): ADDRESS NAME [ALIAS...]) (ERR_INVALID_ARG_VALUE)\n`],
    [['--tun', IFNAME, '--ip', '10.0.2.2', '--hosts', join(dir, 'absent')], `synack gateway: --hosts ${join(dir, 'absent')}: no such file (ENOENT)\n`],
    [['--tun', IFNAME, '--ip', '10.0.2.2', '--mtu', '100'], 'synack gateway: --mtu must be a whole number from 576 to 65535, got "100" (ERR_INVALID_ARG_VALUE)\n'],
    [['--tun', IFNAME, '--ip', '10.0.2.2', '--metrics', 'nowhere'], 'synack gateway: --metrics: expected HOST:PORT (or [IPv6]:PORT), got "nowhere", or a PORT on 127.0.0.1 (ERR_INVALID_ARG_VALUE)\n'],
  ])('%j', (args, line) => {
    const r = run(args);
    expect(r.err).toBe(line);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(existsSync(`/sys/class/net/${IFNAME}`)).toBe(false);
  });

  it('--help lists the options the issue names', () => {
    const r = spawnSync(process.execPath, [CLI, 'gateway', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const o of ['--tun', '--ip', '--guest-netns', '--guest-ip', '--allow', '--deny', '--pcap', '--metrics', '--hosts', '--control']) expect(r.stdout).toContain(o);
  });
});

describe('the option checks, one rule each', () => {
  it('--allow and --deny keep the order they were given in (the first rule that matches decides)', async () => {
    const program = new Command().exitOverride();
    registerGateway(program);
    const cmd = program.commands.find((c) => c.name() === 'gateway')!;
    let seen: unknown;
    cmd.action((flags: { allow: unknown }) => {
      seen = flags.allow;
    });
    await program.parseAsync(['gateway', '--deny', '10.98.0.2:80', '--allow', '10.98.0.0/24', '--deny', '0.0.0.0/0'], { from: 'user' });
    expect(seen).toEqual([
      { action: 'deny', match: '10.98.0.2:80' },
      { action: 'allow', match: '10.98.0.0/24' },
      { action: 'deny', match: '0.0.0.0/0' },
    ]);
  });

  it('--metrics PORT is 127.0.0.1:PORT; HOST:PORT and [v6]:PORT as serve takes them', () => {
    expect(metricsAddress('9100')).toEqual(['127.0.0.1', 9100]);
    expect(metricsAddress('0.0.0.0:9100')).toEqual(['0.0.0.0', 9100]);
    expect(metricsAddress('[::1]:9100')).toEqual(['::1', 9100]);
    expect(() => metricsAddress('70000')).toThrow(/not a port/);
  });

  it('--guest-ip may not be the gateway address, and needs a gateway of its family', () => {
    const ns = mkdtempSync(join(tmpdir(), 'netns-dir-'));
    writeFileSync(join(ns, 'g'), '');
    try {
      expect(() => checkGuestFlags('g', ['10.0.2.2/24'], ['10.0.2.2'], ns)).toThrow(/is the gateway's own address/);
      expect(() => checkGuestFlags('g', ['fd00::15/64'], ['10.0.2.2'], ns)).toThrow(/is IPv6, and no --ip of that family/);
      expect(() => checkGuestFlags('g', ['10.0.2.15/24', 'fd00::15/64'], ['10.0.2.2', 'fd00::2'], ns)).not.toThrow();
      expect(() => checkGuestFlags('../etc', ['10.0.2.15/24'], ['10.0.2.2'], ns)).toThrow(/not a namespace name/);
    } finally {
      rmSync(ns, { recursive: true, force: true });
    }
  });

  it('--no-dns turns the responder off; with --hosts it is a contradiction', () => {
    expect(resolverFromFlags({ dns: false })).toBeNull();
    expect(() => resolverFromFlags({ dns: false, hosts: '/x' })).toThrow(/contradict/);
    expect(resolverFromFlags({ dns: true })).not.toBeNull();
  });
});
