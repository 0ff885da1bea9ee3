/**
 * Character generator (RFC 864): sends lines of 72 printable ASCII characters, each line starting
 * one character later in the 95-character cycle, until the client closes. Written with
 * backpressure: only as fast as the client's window opens.
 */
import type { Socket } from '../api/socket.js';
import type { ServiceDef } from './types.js';
import { trackedServer } from './tracked.js';

/** RFC 864's pattern: 95 lines (one full rotation of ' '..'~'), 72 characters + CRLF each. */
export function chargenPattern(): Buffer {
  const lines: Buffer[] = [];
  for (let i = 0; i < 95; i++) {
    const line = Buffer.alloc(74);
    for (let j = 0; j < 72; j++) line[j] = 32 + ((i + j) % 95);
    line[72] = 13;
    line[73] = 10;
    lines.push(line);
  }
  return Buffer.concat(lines);
}

const PATTERN = chargenPattern();

/** Chunks written per turn of the event loop: the stream never starves the loop (or a peer's FIN). */
const CHUNKS_PER_TURN = 16;

function stream(s: Socket): void {
  let stopped = false;
  let scheduled = false;
  const pump = (): void => {
    scheduled = false;
    for (let i = 0; i < CHUNKS_PER_TURN; i++) {
      if (stopped || s.destroyed || !s.writable) return;
      if (!s.write(PATTERN)) return; // 'drain' resumes
    }
    // still writable: acknowledgements came back as fast as we wrote; yield, then go on
    if (!scheduled) {
      scheduled = true;
      setImmediate(pump);
    }
  };
  s.on('drain', pump);
  // the client's FIN (or anything it sends, then FIN) ends the generation; we close in turn
  s.on('end', () => {
    stopped = true;
    s.end();
  });
  s.on('data', () => {});
  pump();
}

export const chargen: ServiceDef = {
  name: 'chargen',
  port: 19,
  describe: 'RFC 864: streams the 72-column character pattern until the client closes',
  start(net, port, host) {
    return trackedServer(net, 'chargen', port, host, stream);
  },
};
