/**
 * What the browser tests run inside the page (and, from the same bundle, under plain Node). It
 * imports synack as a user's app would; the bundle sets globalThis.synackPageTests.
 */
import { SimNetwork } from 'synack';

const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);

/** Run virtual time until `p` settles (or `limitMs` of virtual time pass). */
async function drive(net, p, limitMs = 120_000) {
  let done = false;
  const q = p.finally(() => (done = true));
  q.catch(() => {});
  await net.runUntil(() => done, limitMs);
  if (!done) throw new Error('still pending after the virtual time limit');
  return q;
}

async function readAll(readable) {
  const reader = readable.getReader();
  const parts = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** (a) two hosts on a SimNetwork echo through stack.net; the client holds TIME_WAIT for 2MSL of virtual time. */
async function timeWait() {
  const net = new SimNetwork({ seed: 7 });
  const a = net.host('10.0.0.1');
  const b = net.host('10.0.0.2');
  const path = [];
  a.on('transition', (e) => path.push(e));
  b.net
    .createServer((s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    })
    .listen(7);
  await net.run(1);
  const c = a.net.connect(7, '10.0.0.2');
  let got = '';
  c.on('data', (d) => (got += d.toString()));
  let closed = false;
  c.on('close', () => (closed = true));
  c.write('hello from ');
  c.end('the page');
  const echoed = await net.runUntil(() => closed, 10_000);
  const twAt = path.find((e) => e.to === 'TIME_WAIT').t;
  await net.run(twAt + 60_000 - 1 - net.now());
  const justBefore = a.stateCounts();
  await net.run(2);
  const closedAt = path.find((e) => e.from === 'TIME_WAIT').t;
  return { echoed, got, path: path.map((e) => e.to), justBefore, after: a.stateCounts(), held: closedAt - twAt };
}

/** (b) the WinterTC connect() echoes through streams, and writable.close() half-closes. */
async function halfClose() {
  const net = new SimNetwork({ seed: 8 });
  const a = net.host('10.0.0.1');
  const b = net.host('10.0.0.2');
  const path = [];
  a.on('transition', (e) => path.push(`${e.t}:${e.to}`));
  const server = b.listen('0.0.0.0', { localPort: 7 });
  const { readable } = await drive(net, server.opened);
  const accept = readable.getReader();
  void (async () => {
    for (;;) {
      const { value: s, done } = await accept.read();
      if (done) return;
      s.readable.pipeTo(s.writable).catch(() => {});
    }
  })();
  const s = a.connect('10.0.0.2:7');
  const info = await drive(net, s.opened);
  const w = s.writable.getWriter();
  await drive(net, w.write(enc('half-')));
  await drive(net, w.write(enc('closed')));
  await drive(net, w.close());
  await net.run(100);
  const afterOurFin = a.sockets()[0].state;
  const text = dec(await drive(net, readAll(s.readable)));
  await drive(net, s.closed);
  return { remote: `${info.remoteAddress}:${info.remotePort}`, afterOurFin, text, final: a.stateCounts(), path, now: net.now() };
}

/** the byte at offset k of the bulk transfer */
const patternByte = (k) => ((k * 7) ^ (k >>> 9) ^ (k >>> 17)) & 255;

/** (c) 16 MiB through connect() with the real clock (the page's), byte-exact. */
async function bulk(total = 16 * 1024 * 1024) {
  const net = new SimNetwork({ clock: 'real' });
  const a = net.host('10.0.0.1');
  const b = net.host('10.0.0.2');
  const server = b.listen('0.0.0.0', { localPort: 9 });
  const { readable } = await server.opened;
  const s = a.connect('10.0.0.2:9');
  const { value: peer } = await readable.getReader().read();
  const t0 = performance.now();
  const send = (async () => {
    const w = s.writable.getWriter();
    const CHUNK = 64 * 1024;
    for (let off = 0; off < total; off += CHUNK) {
      const n = Math.min(CHUNK, total - off);
      const buf = new Uint8Array(n);
      for (let i = 0; i < n; i++) buf[i] = patternByte(off + i);
      await w.write(buf);
    }
    await w.close();
  })();
  let received = 0;
  let mismatches = 0;
  let firstMismatch = -1;
  const reader = peer.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length; i++) {
      if (value[i] !== patternByte(received + i)) {
        mismatches++;
        if (firstMismatch < 0) firstMismatch = received + i;
      }
    }
    received += value.length;
  }
  await send;
  const ms = performance.now() - t0;
  await peer.close();
  await s.closed;
  net.close();
  return { total, received, mismatches, firstMismatch, ms: Math.round(ms) };
}

globalThis.synackPageTests = { timeWait, halfClose, bulk };
