// Run inside a test namespace: synack's own UDP (stack.dgram) on a TUN device, against the
// namespace's kernel. Prints one JSON line with what happened; bounded by a 10 s timer.
//   node tun-udp-client.mjs DEV N ECHO_PORT CLOSED_PORT
import { execFileSync } from 'node:child_process';
import { Stack, TunDevice, attachTun } from '../../dist/src/index.js';

const [dev, n, echoPortText, closedPortText] = process.argv.slice(2);
const echoPort = Number(echoPortText);
const closedPort = Number(closedPortText);
const tun = TunDevice.open(dev);
const ip = (...args) => execFileSync('ip', args);
ip('addr', 'add', `10.99.${n}.1/24`, 'dev', dev);
ip('-6', 'addr', 'add', `fd00:99:${n}::1/64`, 'dev', dev, 'nodad');
ip('link', 'set', dev, 'up');
const stack = new Stack({ addresses: [`10.99.${n}.2`, `fd00:99:${n}::2`] });
const link = attachTun(stack, tun);
const result = {};
const timer = setTimeout(() => finish(), 10_000);

function finish() {
  clearTimeout(timer);
  process.stdout.write(JSON.stringify(result) + '\n');
  link.close();
  stack.destroy();
  process.exit(0);
}

function echo(type, host) {
  return new Promise((resolve) => {
    const s = stack.dgram.createSocket(type);
    s.on('message', (msg, rinfo) => {
      result[type] = { msg: msg.toString(), from: rinfo.address, port: rinfo.port, family: rinfo.family };
      s.close(resolve);
    });
    s.send(`ping over ${type}`, echoPort, host);
  });
}

function refused(type, host) {
  return new Promise((resolve) => {
    const s = stack.dgram.createSocket(type);
    s.on('error', (e) => {
      result[`${type}-closed`] = { code: e.code, syscall: e.syscall };
      s.close(resolve);
    });
    s.connect(closedPort, host, () => s.send('anyone?'));
  });
}

await echo('udp4', `10.99.${n}.1`);
await echo('udp6', `fd00:99:${n}::1`);
await refused('udp4', `10.99.${n}.1`);
await refused('udp6', `fd00:99:${n}::1`);
finish();
