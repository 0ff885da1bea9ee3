/**
 * `synack connect` (netcat over synack) on a TUN device to kernel listeners in a namespace this
 * file creates: data both ways with a half-close, and the errors (ECONNREFUSED) with exit codes.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Netns, Output, interopUnavailable, sleep } from './helpers.js';

const why = interopUnavailable(['socat']);

describe.skipIf(why !== null)(`synack connect on TUN to the kernel${why ? ` (skipped: ${why})` : ''}`, () => {
  const ns = new Netns();
  let n = 0;

  beforeAll(() => {
    ns.create();
  });

  afterAll(async () => {
    await ns.destroy();
  });

  /** Run `synack connect` on its own TUN device (one per run) with `input` on stdin. */
  async function connect(target: string, input: Buffer, extra: string[] = []): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    const dev = `sync${++n}`;
    const child = ns.start([process.execPath, CLI, 'connect', '--tun', dev, '--ip', `10.99.${n}.2`, '--ip', `fd00:99:${n}::2`,
      '--peer-ip', `10.99.${n}.1/24`, '--peer-ip', `fd00:99:${n}::1/64`, ...extra, target.replace('{n}', String(n))]);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => chunks.push(d));
    const out = new Output(child);
    // the device and its kernel-side address exist once synack has opened it; give it a moment
    await sleep(300);
    // a run that fails early (connection refused) may exit before reading its stdin: EPIPE here is
    // that, and the exit code and stderr say what happened
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
    const code = await out.exit(30_000);
    return { code, stdout: Buffer.concat(chunks), stderr: out.err };
  }

  it('sends stdin, half-closes with FIN, reads the reply to EOF and exits 0 (a kernel socat echo)', async () => {
    // a kernel echo server on the namespace's own side of every synack device
    const server = ns.start(['socat', '-T', '20', 'TCP6-LISTEN:7007,fork,reuseaddr,ipv6only=0', 'EXEC:cat']);
    await sleep(200);
    const data = Buffer.alloc(256 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const r = await connect('10.99.{n}.1:7007', data);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    const r6 = await connect('[fd00:99:{n}::1]:7007', Buffer.from('over IPv6\n'));
    expect(r6.code, r6.stderr).toBe(0);
    expect(r6.stdout.toString()).toBe('over IPv6\n');
    server.kill('SIGKILL');
  }, 60_000);

  it('exits 1 with "connect ECONNREFUSED" when nothing listens (the kernel answers RST)', async () => {
    const r = await connect('10.99.{n}.1:7999', Buffer.from('x'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/connect ECONNREFUSED 10\.99\.\d+\.1:7999/);
  });
});
