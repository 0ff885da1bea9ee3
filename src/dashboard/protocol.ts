/**
 * What the dashboard's server sends its page (Server-Sent Events on /events, or a whole recorded
 * run from /run), one JSON object per message. Platform-neutral: the page bundles it.
 *
 *  - hello:      which mode the page is in and what it shows
 *  - counts:     sockets per state (the diagram's node labels); `delta` in host mode
 *  - transition: a connection changed state (an edge lights up)
 *  - segment:    a segment of one connection (the sequence diagram), `dropped` when the link lost it
 */
import type { TransitionCause } from '../observe/cause.js';

export type DashboardMode = 'live' | 'host' | 'player';

export interface HelloMessage {
  type: 'hello';
  mode: DashboardMode;
  /** what is watched: the stack's name, the host's namespace, or the player */
  title: string;
  /** player mode: the scenarios the server can run */
  scenarios?: { name: string; title: string; about: string }[];
}

export interface CountsMessage {
  type: 'counts';
  /** ms: the stack's clock, virtual time, or the epoch (host) */
  t: number;
  counts: Record<string, number>;
  /** host mode: the change since the previous reading */
  delta?: Record<string, number>;
}

export interface TransitionMessage {
  type: 'transition';
  t: number;
  host: string;
  local: string;
  remote: string;
  from: string;
  to: string;
  edge: string | null;
  cause?: TransitionCause;
}

export interface SegmentMessage {
  type: 'segment';
  t: number;
  /** "addr:port" of the sender and receiver */
  src: string;
  dst: string;
  flags: string;
  /** relative to the sender's and the receiver's ISN where known */
  seq: number;
  ack: number;
  win: number;
  len: number;
  dropped?: boolean;
  /** each end's state once the segment was handled, by "addr:port" ('' when not known) */
  states?: Record<string, string>;
}

export type DashboardMessage = HelloMessage | CountsMessage | TransitionMessage | SegmentMessage;

/** A scenario run for the player: every message in time order, and what reproduces it. */
export interface RecordedRun {
  scenario: string;
  title: string;
  about: string;
  options: { loss: number; delay: number; seed: number };
  messages: (CountsMessage | TransitionMessage | SegmentMessage)[];
  notes: string[];
}

/** The page's simulator (runner.ts, loaded by the page as /runner.js). */
export interface PageRunner {
  run(scenario: string, o: { loss: number; delay: number; seed: number }): Promise<RecordedRun | string>;
}

/** The key of a connection seen from either end: its two endpoints in a fixed order. */
export function connectionKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}
