/**
 * The bulk sender the TUN and gateway benchmarks run in a client namespace (`node --input-type=module
 * -e BULK_CLIENT`): writes 1 MiB pieces to HOST:PORT for MS milliseconds, honouring backpressure,
 * then ends and prints {"bytes", "ms"} as JSON (or {"error"}).
 */
export const BULK_CLIENT = `
import net from 'node:net';
const chunk = Buffer.alloc(1 << 20, 0x61);
const t0 = performance.now();
let sent = 0, ended = false;
const s = net.connect({ host: process.env.HOST, port: Number(process.env.PORT) });
const pump = () => {
  while (!ended) {
    if (performance.now() - t0 > Number(process.env.MS)) { ended = true; s.end(); return; }
    sent += chunk.length;
    if (!s.write(chunk)) { s.once('drain', pump); return; }
  }
};
s.on('connect', pump);
s.resume();
s.on('close', () => console.log(JSON.stringify({ bytes: sent, ms: performance.now() - t0 })));
s.on('error', (e) => { console.log(JSON.stringify({ error: e.code || e.message })); process.exit(1); });
`;
