/**
 * The parts a connection owns that most connections need late or never — the send buffer, the
 * receive and reassembly queues, the SACK scoreboard, RACK, the tail loss probe and PRR — made on
 * first use. Until a part exists it would hold only its initial values, so the readers that only
 * look (sendQueued, boardLength, reassemblyEmpty...) take those values without making it, and an
 * idle connection carries none (docs/performance-connections.md). Tcb extends this.
 */
import { Prr } from './cc/prr.js';
import { Rack, Tlp } from './rack.js';
import { ReadQueue } from './recv-buffer.js';
import { Reassembly } from './reassembly.js';
import { Scoreboard } from './scoreboard.js';
import { SendBuffer } from './send-buffer.js';
import { TcbVars } from './tcb-vars.js';

/** the receive queue of every TCB that has received nothing: frozen, so anything but reading it throws */
const EMPTY_READ_QUEUE = Object.freeze(new ReadQueue()) as ReadQueue;

export class TcbParts extends TcbVars {
  /** the send buffer, made at the first SEND (sendBuf); sendQueued reads its length without it */
  private sendBuf_: SendBuffer | null = null;
  /** in-order data not read yet, made at the first byte received (readQueue, readQueueToFill) */
  private readQueue_: ReadQueue | null = null;
  /** out-of-order data (RFC 9293 §3.10.7.4), made at the first segment that needs it (reassembly) */
  private reassembly_: Reassembly | null = null;
  /** what was sent and not yet acknowledged, made at the first data sent or ACK walked (board) */
  private board_: Scoreboard | null = null;
  private rack_: Rack | null = null;
  private tlp_: Tlp | null = null;
  private prr_: Prr | null = null;

  /** the send buffer, made when first needed (an empty one until then) */
  get sendBuf(): SendBuffer {
    return (this.sendBuf_ ??= new SendBuffer());
  }
  /** bytes in the send buffer, unacknowledged and unsent (0 when it has not been made) */
  get sendQueued(): number {
    return this.sendBuf_ === null ? 0 : this.sendBuf_.length;
  }
  /**
   * The receive queue to read from: until the first byte arrives, one empty queue shared by every
   * TCB (frozen, so anything but reading it throws); `readQueueToFill` is the one to push to
   */
  get readQueue(): ReadQueue {
    return this.readQueue_ ?? EMPTY_READ_QUEUE;
  }
  /** the receive queue, made at the first byte to queue */
  get readQueueToFill(): ReadQueue {
    return (this.readQueue_ ??= new ReadQueue());
  }

  /**
   * The scoreboard (RFC 6675), made when first needed: until then it would be empty, so readers
   * that only look (boardLength, boardPipe, boardSackedSegs) take its initial values without it
   */
  get board(): Scoreboard {
    return (this.board_ ??= new Scoreboard());
  }
  /** the scoreboard if anything has needed it yet, else null (empty) */
  get boardIfAny(): Scoreboard | null {
    return this.board_;
  }
  /** segments on the scoreboard (0 when it has not been made) */
  get boardLength(): number {
    return this.board_ === null ? 0 : this.board_.length;
  }
  /** RFC 6675 SetPipe (0 when the scoreboard has not been made) */
  boardPipe(): number {
    return this.board_ === null ? 0 : this.board_.pipe();
  }
  /** segments SACKed (0 when the scoreboard has not been made) */
  get boardSackedSegs(): number {
    return this.board_ === null ? 0 : this.board_.sackedSegs;
  }
  /** the reassembly queue, made at the first out-of-order segment or pull */
  get reassembly(): Reassembly {
    return (this.reassembly_ ??= new Reassembly());
  }
  /** bytes held for reassembly (0 when the queue has not been made) */
  get reassemblyBytes(): number {
    return this.reassembly_ === null ? 0 : this.reassembly_.bytes;
  }
  /** nothing held for reassembly (true when the queue has not been made) */
  get reassemblyEmpty(): boolean {
    return this.reassembly_ === null || this.reassembly_.empty;
  }

  /** RACK's state (RFC 8985), made when first needed */
  get rack(): Rack {
    return (this.rack_ ??= new Rack());
  }
  /** RACK's state if anything has needed it yet, else null (its initial state) */
  get rackIfAny(): Rack | null {
    return this.rack_;
  }
  /** the tail loss probe's state (RFC 8985 §7), made when first needed */
  get tlp(): Tlp {
    return (this.tlp_ ??= new Tlp());
  }
  /** the tail loss probe's state if a probe was ever sent, else null (none outstanding) */
  get tlpIfAny(): Tlp | null {
    return this.tlp_;
  }
  /** PRR's state (RFC 6937), made when the first recovery begins */
  get prr(): Prr {
    return (this.prr_ ??= new Prr());
  }
}
