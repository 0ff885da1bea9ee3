/**
 * `synack connect HOST:PORT`: netcat over synack on a TUN/TAP device. stdin goes to the connection
 * and the connection to stdout; stdin's end half-closes (FIN) and the command exits 0 once both
 * directions are closed. A failed connection prints Node's message (`connect ECONNREFUSED
 * 10.99.0.1:9`) and exits 1; SIGINT/SIGTERM end the connection with a FIN first.
 */
import '../api/net.js'; // stack.net
import type { Command } from 'commander';
import { makeError } from '../errors.js';
import { startControl } from './control.js';
import { errorLine, warningLine } from './errors.js';
import { describeImpairStats, describeLinkImpairments } from './impair-options.js';
import { addLinkOptions, checkLinkFlags, deviceIsUp, logStateChanges, openLink, type LinkFlags } from './link-options.js';

interface ConnectFlags extends LinkFlags {
  timeout?: string;
}

export function parseTarget(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw makeError('ERR_INVALID_ARG_VALUE', `expected HOST:PORT or [IPv6]:PORT, got "${text}"`);
  }
  return { host: m[1]!, port };
}

export function registerConnect(program: Command): void {
  const cmd = program
    .command('connect')
    .description('netcat over synack: connect to HOST:PORT through a TUN/TAP device, stdin to the connection, the connection to stdout')
    .argument('<host:port>', 'where to connect (an IP address; synack resolves no names)');
  addLinkOptions(cmd).action(async (target: string, flags: ConnectFlags) => {
    const { host, port } = parseTarget(target);
    checkLinkFlags(flags, (m) => process.stderr.write(warningLine('connect', m)));
    const opened = openLink(flags);
    const { stack } = opened;
    // Without --peer-ip a new device is down: SYNs would vanish for tcp_syn_retries' 127 s. Say so now.
    if (flags.peerIp.length === 0 && deviceIsUp(opened.ifname) === false) {
      opened.close();
      throw makeError(
        'ENETDOWN',
        `${opened.ifname} is down, so nothing can reach ${host}:${port} through it: give --peer-ip ADDR/PREFIX (the kernel side's address; ` +
          'synack brings the device up), or configure the device first (ip addr add ... dev IFNAME; ip link set IFNAME up)',
      );
    }
    await startControl(stack, flags.control);
    const stopLog = flags.verbose ? logStateChanges(stack, (s) => process.stderr.write(s)) : () => {};
    opened.link.device.on('error', (err: Error) => {
      process.stderr.write(errorLine('connect', err));
      opened.close();
      process.exit(1);
    });
    const socket = stack.net.connect({ host, port, allowHalfOpen: true });
    let exiting = false;
    const exit = (code: number): void => {
      if (exiting) return;
      exiting = true;
      stopLog();
      if (flags.verbose && opened.link.impaired) process.stderr.write(`synack connect: impairments: ${describeImpairStats(opened.link.impaired)}\n`);
      // give the last ACK / FIN a moment to leave through the device, then release it
      setTimeout(() => {
        opened.close();
        process.exit(code);
      }, 50);
    };
    socket.on('connect', () => {
      if (flags.verbose) {
        process.stderr.write(
          `synack connect: connected ${socket.localAddress}:${socket.localPort} -> ${host}:${port}` +
            `${opened.impairments ? `; ${describeLinkImpairments(opened.impairments)}` : ''}\n`,
        );
      }
      process.stdin.pipe(socket);
    });
    socket.pipe(process.stdout, { end: false });
    socket.on('error', (err: Error & { code?: string }) => {
      process.stderr.write(errorLine('connect', err));
      exit(1);
    });
    // 'close' after both directions ended: our FIN acknowledged and theirs received
    socket.on('close', (hadError: boolean) => {
      if (!hadError) exit(0);
    });
    const onSignal = (): void => {
      process.stdin.unpipe(socket);
      socket.end();
      setTimeout(() => exit(130), 2000).unref();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
