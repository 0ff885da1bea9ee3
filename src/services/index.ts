/** The classic internal services `synack serve` offers, by name. */
import { chargen } from './chargen.js';
import { daytime } from './daytime.js';
import { discard } from './discard.js';
import { echo } from './echo.js';
import { httpService } from './http.js';
import { nodeHttpService } from './node-http.js';
import type { ServiceDef } from './types.js';

export type { RunningService, ServiceDef } from './types.js';

export const SERVICES: readonly ServiceDef[] = [echo, discard, daytime, chargen, httpService, nodeHttpService];

/** node-http (node:http, for comparison with http's own server) runs only when asked for. */
export const DEFAULT_SERVICES = 'echo,discard,daytime,chargen,http';

/** Parse "echo,http" or "http:8080" into definitions with ports; throws with the known names on a typo. */
export function parseServiceList(list: string): { def: ServiceDef; port: number }[] {
  const out: { def: ServiceDef; port: number }[] = [];
  for (const item of list.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [name, portText] = item.split(':');
    const def = SERVICES.find((s) => s.name === name);
    if (!def) throw new Error(`unknown service "${name}"; choose from ${SERVICES.map((s) => s.name).join(', ')}`);
    let port = def.port;
    if (portText !== undefined) {
      port = Number(portText);
      if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new Error(`bad port in "${item}" (1 to 65535)`);
    }
    out.push({ def, port });
  }
  if (out.length === 0) throw new Error('no services given');
  return out;
}
