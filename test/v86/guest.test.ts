/**
 * synack as the network of a real Linux guest in v86 (the emulator, running under Node): a Debian
 * 6.1 i386 kernel with busybox boots with synack behind its NIC, fetches a page and 3 MiB over
 * HTTP (node:http over stack.net) byte-exact, and echoes through synack — on both NICs v86 offers,
 * the NE2000 (which drops bursts, so TCP's loss recovery shows) and virtio-net. The guest's parts
 * come from Debian by apt the first time (test/v86/guest.ts); without root and apt the test skips.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Stack, V86NetworkAdapter } from '../../src/index.js';
import { guestImages, initramfs, type GuestImages } from './guest.js';

const require = createRequire(import.meta.url);
const images = guestImages();
const skip = typeof images === 'string' ? images : null;
if (skip) console.warn(`v86 guest tests skipped: ${skip}`);

const PAGE = '<!doctype html><title>synack</title><p>served to a v86 guest by synack</p>\n';
const BIG = new Uint8Array(3 << 20).map((_, i) => (i * 7) ^ (i >> 9) ^ (i >> 17));
const md5 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');

const SCRIPT = `ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
echo SYNACK-NIC $(basename $(readlink /sys/class/net/eth0/device/driver))
echo SYNACK-PAGE $(wget -q -O - http://10.0.2.2/ | md5sum)
wget -q -O /tmp/big http://10.0.2.2/big && echo SYNACK-BIG $(md5sum /tmp/big)
echo SYNACK-ECHO $(echo echo-through-synack | nc 10.0.2.2 7)
echo SYNACK-DONE`;

/** Boot the guest with synack on its NIC; resolves with the SYNACK-* lines it printed on its serial console. */
async function bootGuest(img: GuestImages, nic: 'ne2k' | 'virtio'): Promise<{ lines: Map<string, string>; stack: Stack; seconds: number }> {
  const { V86 } = (await import('v86')) as { V86: new (o: object) => V86Emulator };
  const stack = new Stack({ addresses: ['10.0.2.2'] });
  const http = createServer((req, res) => {
    const body = req.url === '/big' ? BIG : Buffer.from(PAGE);
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  stack.net.createServer((s) => http.emit('connection', s)).listen(80);
  stack.net.createServer((s) => s.pipe(s)).listen(7);
  const ab = (b: Buffer): { buffer: ArrayBuffer } => ({ buffer: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer });
  const t0 = Date.now();
  const emu = new V86({
    wasm_path: require.resolve('v86/build/v86.wasm'),
    memory_size: 128 << 20,
    bios: ab(img.bios),
    vga_bios: ab(img.vgaBios),
    bzimage: ab(img.kernel),
    initrd: ab(initramfs(img, SCRIPT)),
    cmdline: 'console=ttyS0 quiet loglevel=3 tsc=reliable mitigations=off',
    autostart: true,
    disable_speaker: true,
    net_device: { type: nic },
  });
  // this v86 release has no network_adapter option: the adapter goes on the emulator's bus
  const adapter = new V86NetworkAdapter(emu.bus, stack);
  const lines = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      let line = '';
      const timer = setTimeout(() => reject(new Error(`the guest did not finish in 300 s; it said: ${[...lines].join(' | ')}`)), 300_000);
      emu.add_listener('serial0-output-byte', (b: number) => {
        if (b !== 10) return void (line += String.fromCharCode(b));
        const m = /^(SYNACK-\w+) ?(.*)$/.exec(line.trim());
        line = '';
        if (!m) return;
        lines.set(m[1]!, m[2]!);
        if (m[1] === 'SYNACK-DONE') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    adapter.destroy();
    await emu.destroy();
    stack.destroy();
  }
  return { lines, stack, seconds: (Date.now() - t0) / 1000 };
}

interface V86Emulator {
  bus: ConstructorParameters<typeof V86NetworkAdapter>[0];
  add_listener(event: string, fn: (b: number) => void): void;
  destroy(): Promise<void>;
}

describe.skipIf(skip !== null)('a Linux guest in v86 on synack', () => {
  for (const [nic, driver] of [
    ['ne2k', 'ne2k-pci'],
    ['virtio', 'virtio_net'],
  ] as const) {
    it(`over ${nic}: fetches a page and 3 MiB byte-exact, and echoes through synack`, async () => {
      const { lines, seconds } = await bootGuest(images as GuestImages, nic);
      console.log(`v86 ${nic}: booted, fetched and echoed in ${seconds.toFixed(1)} s`);
      expect(lines.get('SYNACK-NIC')).toBe(driver);
      expect(lines.get('SYNACK-PAGE')).toBe(`${md5(PAGE)} -`);
      expect(lines.get('SYNACK-BIG')).toBe(`${md5(BIG)} /tmp/big`);
      expect(lines.get('SYNACK-ECHO')).toBe('echo-through-synack');
    }, 400_000);
  }
});
