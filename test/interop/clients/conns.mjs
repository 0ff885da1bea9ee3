// Run inside a test namespace with the kernel's own TCP (node:net): open connections to an echo
// server, each sending a line and reading it back, then closing; sequentially or concurrently.
// Prints one JSON line: { ok, failed, errors, ms }. Every connection is bounded by a timeout.
//   node conns.mjs HOST PORT COUNT CONCURRENCY
import net from 'node:net';

const [host, portText, countText, concText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const concurrency = Number(concText);
const errors = {};
let ok = 0;
let failed = 0;
let next = 0;
const started = Date.now();

function one(i) {
  return new Promise((resolve) => {
    const msg = `hello ${i}\n`;
    let got = '';
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        failed++;
        errors[err] = (errors[err] ?? 0) + 1;
        s.destroy();
      } else ok++;
      resolve();
    };
    const timer = setTimeout(() => finish('timeout'), 10_000);
    const s = net.connect({ host, port, allowHalfOpen: true });
    s.setEncoding('utf8');
    s.on('connect', () => s.end(msg));
    s.on('data', (d) => (got += d));
    s.on('end', () => finish(got === msg ? null : 'bad echo'));
    s.on('error', (e) => finish(e.code ?? e.message));
  });
}

async function worker() {
  while (next < count) await one(next++);
}

await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
process.stdout.write(JSON.stringify({ ok, failed, errors, ms: Date.now() - started }) + '\n');
