/**
 * A v86 guest online through the gateway library: a Debian i386 kernel with busybox boots in v86
 * (under Node) with synack on its NIC (V86NetworkAdapter), and synack relays its flows through
 * the kernel's sockets (createGateway) and answers its DNS (startDnsResponder). The Node process
 * that runs the emulator and the gateway is started inside the gateway's test namespace, so the
 * relayed flows reach a real nginx (or Node server) and socat in the server namespace over a veth
 * pair (netns-support.ts); nothing leaves the test's namespaces. Skips without root or without the
 * v86 guest (test/v86/guest.ts fetches it from Debian once).
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestImages, initramfs, type GuestImages } from '../v86/guest.js';
import { ROOT, Output } from '../interop/helpers.js';
import { SERVER_IP, gatewayTestsUnavailable, startServerSide, type ServerSide } from './netns-support.js';

const why = gatewayTestsUnavailable(['curl', 'socat']);
const images = why ? why : guestImages();
const skip = typeof images === 'string' ? images : null;

/** What the guest runs once its NIC is up: each result on a SYNACK-* line of its serial console. */
const GUEST_SCRIPT = `ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
mkdir -p /etc && echo nameserver 10.0.2.2 > /etc/resolv.conf
echo SYNACK-DNS $(nslookup server.test 10.0.2.2 2>&1 | grep -A2 'Name:' | grep Address | head -1)
echo SYNACK-PAGE $(wget -q -O - http://${SERVER_IP}/ | md5sum)
echo SYNACK-BIG $(wget -q -O - http://${SERVER_IP}/big.bin | md5sum)
echo SYNACK-NAME $(wget -q -O - http://server.test/ | md5sum)
echo SYNACK-REFUSED $(wget -q -O - http://${SERVER_IP}:81/ 2>&1)
echo SYNACK-UDP $(nslookup relayed.test ${SERVER_IP} 2>&1 | grep -A2 'Name:' | grep Address | head -1)
echo SYNACK-DONE`;

/** Runs in the gateway namespace: the emulator, a Stack on its NIC, the gateway and its DNS. */
const HOST_SCRIPT = `
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(process.env.ROOT + '/package.json');
const { Stack, V86NetworkAdapter, createGateway, startDnsResponder, hostsFileResolver, parseHostsFile } = await import(process.env.ROOT + '/dist/src/index.js');
const { V86 } = await import(require.resolve('v86'));
const file = (n) => { const b = readFileSync(process.env.DIR + '/' + n); return { buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) }; };

const stack = new Stack({ addresses: ['10.0.2.2'] });
const gateway = createGateway(stack, { policy: { rules: [{ action: 'allow', match: '10.98.0.0/24' }] } });
const dns = await startDnsResponder(stack, { resolver: hostsFileResolver(parseHostsFile(readFileSync(process.env.DIR + '/hosts', 'utf8'))) });
const emulator = new V86({
  wasm_path: require.resolve('v86/build/v86.wasm'),
  memory_size: 128 << 20,
  bios: file('bios.bin'), vga_bios: file('vgabios.bin'), bzimage: file('vmlinuz'), initrd: file('initrd'),
  cmdline: 'console=ttyS0 quiet loglevel=3 tsc=reliable mitigations=off',
  autostart: true, disable_speaker: true, net_device: { type: 'virtio' },
});
const adapter = new V86NetworkAdapter(emulator.bus, stack);
let line = '';
const timer = setTimeout(() => { console.log('TIMEOUT'); process.exit(1); }, 280_000);
emulator.add_listener('serial0-output-byte', async (b) => {
  if (b !== 10) { line += String.fromCharCode(b); return; }
  const l = line.trim();
  line = '';
  if (!l.startsWith('SYNACK-')) return;
  console.log(l);
  if (l === 'SYNACK-DONE') {
    clearTimeout(timer);
    console.log('COUNTERS ' + JSON.stringify({ tcp: gateway.counters.tcp.relayed, udp: gateway.counters.udp.relayed, refused: gateway.counters.tcp.refused, dns: dns.counters.responses }));
    await gateway.close({ timeout: 1000 });
    await dns.close();
    adapter.destroy();
    await emulator.destroy();
    stack.destroy();
    process.exit(0);
  }
});
`;

/**
 * A DNS server in the server namespace (UDP port 53), answering every A query with 192.0.2.99: busybox
 * has no UDP netcat, so its nslookup asking this server directly is the guest's UDP flow to relay.
 */
const UDP_DNS_SERVER = `
import dgram from 'node:dgram';
const { decodeMessage, encodeMessage } = await import(process.env.ROOT + '/dist/src/gateway/dns-wire.js');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  const d = decodeMessage(m);
  if (!d.ok) return;
  const q = d.message;
  const answers = q.questions[0]?.type === 1 ? [{ name: q.questions[0].name, type: 1, class: 1, ttl: 5, address: '192.0.2.99' }] : [];
  s.send(encodeMessage({ ...q, header: { ...q.header, qr: true, ra: true }, answers }), r.port, r.address);
});
s.bind(53, '${SERVER_IP}', () => console.log('ready'));
`;

const md5 = (b: Buffer | string): string => createHash('md5').update(b).digest('hex');

describe.skipIf(skip !== null)(`a v86 guest online through the gateway library${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let side: ServerSide;
  const lines = new Map<string, string>();
  let counters: { tcp: number; udp: number; refused: Record<string, number>; dns: Record<string, number> } | undefined;

  beforeAll(async () => {
    const img = images as GuestImages;
    side = await startServerSide();
    const files: [string, Buffer][] = [
      ['bios.bin', img.bios],
      ['vgabios.bin', img.vgaBios],
      ['vmlinuz', img.kernel],
      ['initrd', initramfs(img, GUEST_SCRIPT)],
    ];
    for (const [name, data] of files) writeFileSync(join(side.dir, name), data);
    writeFileSync(join(side.dir, 'host.mjs'), HOST_SCRIPT);
    await new Output(side.server.start(['env', `ROOT=${ROOT}`, process.execPath, '--input-type=module', '-e', UDP_DNS_SERVER])).waitFor(/ready/);
    const child = side.gw.start(['env', `ROOT=${ROOT}`, `DIR=${side.dir}`, process.execPath, join(side.dir, 'host.mjs')]);
    const out = new Output(child);
    const code = await out.exit(300_000);
    console.log(`v86 guest through the gateway:\n${out.text}`);
    for (const l of out.text.split('\n')) {
      const m = /^(SYNACK-\w+) ?(.*)$/.exec(l);
      if (m) lines.set(m[1]!, m[2]!);
      if (l.startsWith('COUNTERS ')) counters = JSON.parse(l.slice(9)) as typeof counters;
    }
    if (code !== 0) throw new Error(`the v86 host process exited ${code}:\n${out.text}\n${out.err}`);
  }, 320_000);

  afterAll(async () => {
    await side?.destroy();
  });

  it('the guest finished its script', () => {
    expect(lines.get('SYNACK-DONE')).toBe('');
  });

  it("busybox nslookup asks the gateway's address and gets server.test's A record", () => {
    expect(lines.get('SYNACK-DNS')).toMatch(new RegExp(`^Address:? ${SERVER_IP.replace(/\./g, '\\.')}$`));
  });

  it('busybox wget fetches the page and 8 MiB from nginx in the server namespace, byte-exact', () => {
    expect(lines.get('SYNACK-PAGE')).toBe(`${md5(side.page)} -`);
    expect(lines.get('SYNACK-BIG')).toBe(`${md5(side.big)} -`);
  });

  it('wget by name: the guest libc resolves server.test through the gateway', () => {
    expect(lines.get('SYNACK-NAME')).toBe(`${md5(side.page)} -`);
  });

  it('a closed port is refused as on a real network', () => {
    expect(lines.get('SYNACK-REFUSED')).toMatch(/Connection refused/);
    expect(counters?.refused.host_econnrefused).toBeGreaterThanOrEqual(1);
  });

  it('nslookup asking a DNS server in the server namespace: a UDP flow through the relay', () => {
    expect(lines.get('SYNACK-UDP')).toMatch(/^Address:? 192\.0\.2\.99$/);
    expect(counters?.udp).toBeGreaterThanOrEqual(1);
  });
});
