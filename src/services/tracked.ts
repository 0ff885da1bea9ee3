/** A server that remembers its open sockets, so a shutdown can end each one gracefully (FIN). */
import type { NetApi } from '../api/net.js';
import type { Server } from '../api/server.js';
import type { Socket } from '../api/socket.js';
import { LiveList } from '../stack/live-list.js';
import type { RunningService } from './types.js';

export function trackedServer(
  net: NetApi,
  name: string,
  port: number,
  host: string | undefined,
  onSocket: (s: Socket) => void,
  opts: { allowHalfOpen?: boolean } = {},
): RunningService {
  const sockets = new LiveList<Socket>();
  const server: Server = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (s) => {
    const node = sockets.add(s);
    s.once('close', () => sockets.remove(node));
    // a peer's reset is the peer's business: a service never crashes the process over it
    s.on('error', () => s.destroy());
    onSocket(s);
  });
  server.listen(host === undefined ? { port } : { port, host });
  return {
    name,
    port,
    server,
    shutdown() {
      if (server.listening) server.close();
      for (const s of sockets.items()) s.end();
    },
  };
}
