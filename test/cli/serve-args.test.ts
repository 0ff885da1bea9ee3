/** `synack serve` / `synack connect` argument errors: clear messages, exit 1, before any device is touched. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

function run(args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, err: r.stderr };
}

describe('serve and connect arguments', () => {
  it.each([
    [['serve', '--ip', '10.0.0.2'], /exactly one of --tun IFNAME or --tap IFNAME/],
    [['serve', '--tun', 'x0'], /--ip ADDR is required/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.256'], /not an IP address: "10\.0\.0\.256"/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--services', 'echo,gopher'], /unknown service "gopher"/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--peer-ip', '10.0.0.1'], /expected ADDRESS\/PREFIX/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--sysctl', 'tcp_tw_recycle=1'], /tcp_tw_recycle/],
    [['serve', '--tun', 'x0', '--ip', '10.0.0.2', '--mtu', '100'], /--mtu must be a whole number from 576 to 65535/],
    [['connect', '--tun', 'x0', '--ip', '10.0.0.2', 'nohost'], /expected HOST:PORT or \[IPv6\]:PORT/],
  ])('%j', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
});
