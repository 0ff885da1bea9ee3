/** What every classic service looks like to `synack serve`: a name, a port, and a start function. */
import type { NetApi } from '../api/net.js';
import type { Server } from '../api/server.js';

export interface RunningService {
  name: string;
  port: number;
  server: Server;
  /** Close gracefully: stop accepting and end every open connection with a FIN. */
  shutdown(): void;
}

export interface ServiceDef {
  name: string;
  /** the well-known port (RFC 862/863/864/867, HTTP 80) */
  port: number;
  describe: string;
  start(net: NetApi, port: number, host?: string): RunningService;
}
