/**
 * A Linux guest for v86, made from Debian's i386 packages: the 686 kernel, its ne2k-pci and
 * virtio-net modules and busybox-static in an initramfs, and Debian's SeaBIOS. The packages are
 * fetched by apt (adding the i386 architecture to dpkg if needed) the first time and kept in
 * $SYNACK_V86_CACHE (default ~/.cache/synack-v86); the initramfs is built here, in memory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const CACHE = process.env.SYNACK_V86_CACHE ?? join(homedir(), '.cache', 'synack-v86');
const ROOT = join(CACHE, 'root');

/** in dependency order (the modules' own depends= lists): insmod resolves nothing by itself */
const MODULES = [
  'net/core/failover',
  'drivers/net/net_failover',
  'drivers/virtio/virtio_ring',
  'drivers/virtio/virtio',
  'drivers/virtio/virtio_pci_modern_dev',
  'drivers/virtio/virtio_pci_legacy_dev',
  'drivers/virtio/virtio_pci',
  'drivers/net/virtio_net',
  'drivers/net/ethernet/8390/8390',
  'drivers/net/ethernet/8390/ne2k-pci',
];

export interface GuestImages {
  kernel: Buffer;
  modules: Map<string, Buffer>;
  busybox: Buffer;
  bios: Buffer;
  vgaBios: Buffer;
}

function run(cmd: string, args: string[], cwd?: string): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 600_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function kernelVersion(): string | null {
  const boot = join(ROOT, 'boot');
  if (!existsSync(boot)) return null;
  const v = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  return v ? v.slice('vmlinuz-'.length) : null;
}

/** Fetch the packages with apt (once); returns why not when that cannot be done here. */
function fetchPackages(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'fetching the guest needs root and apt (Debian)';
  if (!run('sh', ['-c', 'command -v apt-get && command -v dpkg-deb']).ok) return 'apt-get and dpkg-deb are not here (not Debian)';
  if (!run('dpkg', ['--print-foreign-architectures']).out.split('\n').includes('i386')) {
    if (!run('dpkg', ['--add-architecture', 'i386']).ok) return 'dpkg --add-architecture i386 failed';
    const u = run('apt-get', ['update', '-qq']);
    if (!u.ok) return `apt-get update failed: ${u.out.split('\n').pop()}`;
  }
  const dep = run('apt-cache', ['depends', 'linux-image-686:i386']);
  const kernel = /Depends: (linux-image-\S+-686(?::i386)?)/.exec(dep.out)?.[1];
  if (!kernel) return 'no linux-image-*-686 for i386 in the apt lists (apt-get update?)';
  const debs = join(CACHE, 'debs');
  mkdirSync(debs, { recursive: true });
  const d = run('apt-get', ['download', kernel.replace(/(:i386)?$/, ':i386'), 'busybox-static:i386', 'seabios'], debs);
  if (!d.ok) return `apt-get download failed: ${d.out.split('\n').pop()}`;
  for (const f of readdirSync(debs).filter((x) => x.endsWith('.deb'))) {
    const x = run('dpkg-deb', ['-x', join(debs, f), ROOT]);
    if (!x.ok) return `dpkg-deb -x ${f} failed: ${x.out}`;
  }
  return null;
}

/** The guest's parts, or the reason they cannot be had on this machine. */
export function guestImages(): GuestImages | string {
  if (!kernelVersion()) {
    const why = fetchPackages();
    if (why) return why;
  }
  const k = kernelVersion();
  if (!k) return `no kernel in ${ROOT}/boot after fetching`;
  const modules = new Map<string, Buffer>();
  for (const m of MODULES) modules.set(m.split('/').pop()!, readFileSync(join(ROOT, 'lib', 'modules', k, 'kernel', `${m}.ko`)));
  return {
    kernel: readFileSync(join(ROOT, 'boot', `vmlinuz-${k}`)),
    modules,
    busybox: readFileSync(join(ROOT, 'bin', 'busybox')),
    bios: readFileSync(join(ROOT, 'usr', 'share', 'seabios', 'bios.bin')),
    vgaBios: readFileSync(join(ROOT, 'usr', 'share', 'seabios', 'vgabios-stdvga.bin')),
  };
}

/** A newc-format cpio archive (what the kernel unpacks as an initramfs). */
function cpio(entries: { name: string; mode: number; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const hex = (n: number): string => n.toString(16).padStart(8, '0');
  const pad = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  let ino = 1;
  for (const e of [...entries, { name: 'TRAILER!!!', mode: 0 }]) {
    const name = Buffer.from(`${e.name}\0`);
    const data = e.data ?? Buffer.alloc(0);
    const fields = [ino++, e.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    parts.push(Buffer.from(`070701${fields.map(hex).join('')}`), name, pad(110 + name.length), data, pad(data.length));
  }
  return Buffer.concat(parts);
}

/** A gzipped initramfs whose /init loads the NIC drivers, sets eth0 up and runs `script` (busybox sh). */
export function initramfs(img: GuestImages, script: string): Buffer {
  const init = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
for m in ${[...img.modules.keys()].join(' ')}; do insmod /lib/$m.ko 2>/dev/null; done
${script}
poweroff -f
`;
  const dirs = ['bin', 'proc', 'sys', 'dev', 'lib', 'tmp'].map((name) => ({ name, mode: 0o40755 }));
  const files = [
    { name: 'bin/busybox', mode: 0o100755, data: img.busybox },
    { name: 'init', mode: 0o100755, data: Buffer.from(init) },
    ...[...img.modules].map(([m, data]) => ({ name: `lib/${m}.ko`, mode: 0o100644, data })),
  ];
  return gzipSync(cpio([...dirs, ...files]));
}
