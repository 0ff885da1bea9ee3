/**
 * docs/net-compat.md is kept true: this walks the real node:net — its exports, the prototypes,
 * statics and instance properties of Socket and Server, the option names Node reads, and the
 * events Node emits in a few scenarios on loopback — and fails on anything the document does not
 * list, or lists with a status synack does not live up to. It also fails on a public member of
 * synack's published Socket and Server types that the document does not list.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimNetwork, type Stack } from '../../src/index.js';

type Status = 'same' | 'differs' | 'n.a.' | 'synack';
interface Row {
  status: Status;
  notes: string;
}

/** The document's tables: section title -> name -> row. */
function readDoc(): Map<string, Map<string, Row>> {
  const doc = new Map<string, Map<string, Row>>();
  let section: Map<string, Row> | null = null;
  for (const line of readFileSync('docs/net-compat.md', 'utf8').split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      section = new Map();
      doc.set(heading[1]!.trim(), section);
      continue;
    }
    const row = /^\| `([^`]+)` \| (same|differs|n\.a\.|synack) \|(.*)\|\s*$/.exec(line);
    if (row && section) section.set(row[1]!, { status: row[2] as Status, notes: row[3]!.trim() });
  }
  return doc;
}

const doc = readDoc();
function section(title: string): Map<string, Row> {
  const s = doc.get(title);
  if (!s) throw new Error(`docs/net-compat.md has no section "## ${title}"`);
  return s;
}

/** Every Node name is listed; a difference says how. */
function expectListed(title: string, names: string[]): void {
  const s = section(title);
  const missing = names.filter((n) => !s.has(n));
  expect(missing, `undocumented in "## ${title}"`).toEqual([]);
  for (const [name, row] of s) {
    if (row.status === 'differs' || row.status === 'n.a.' || row.status === 'synack') expect(row.notes, `${title}: ${name} needs a note`).not.toBe('');
  }
}

const keyName = (k: string | symbol): string => (typeof k === 'symbol' ? String(k) : k);

/** Own keys of a prototype (strings and symbols, by name), without `constructor`'s own fields. */
function protoKeys(proto: object): string[] {
  return Reflect.ownKeys(proto).map(keyName);
}

/** The member on our prototype chain above `stop` (Duplex or EventEmitter), if any. */
function ourMember(proto: object, name: string, stop: object): PropertyDescriptor | undefined {
  for (let p: object | null = proto; p && p !== stop; p = Object.getPrototypeOf(p)) {
    for (const k of Reflect.ownKeys(p)) if (keyName(k) === name) return Object.getOwnPropertyDescriptor(p, k);
  }
  return undefined;
}

const kind = (d: PropertyDescriptor | undefined): string => (!d ? 'absent' : d.get || d.set ? 'accessor' : typeof d.value === 'function' ? 'method' : 'value');

/** Public members of a class in synack's published declarations (dist/, built by the test setup). */
function publishedMembers(file: string, cls: string): string[] {
  const dts = readFileSync(file, 'utf8');
  const body = dts.slice(dts.indexOf(`export declare class ${cls} `));
  const end = body.indexOf('\n}');
  const names = new Set<string>();
  for (const line of body.slice(0, end).split('\n')) {
    const m = /^ {4}(?:readonly |get |set |static )*(\[[^\]]+\]|[A-Za-z_$][\w$]*)/.exec(line);
    if (!m || /^ {4}private /.test(line)) continue;
    names.add(m[1]!);
  }
  names.delete('constructor');
  return [...names];
}

let sim: SimNetwork;
let a: Stack;
let b: Stack;
beforeAll(() => {
  sim = new SimNetwork({ seed: 5 });
  a = sim.host('10.0.0.1');
  b = sim.host('10.0.0.2');
});
afterAll(() => sim.close());

describe('docs/net-compat.md against the real node:net: exports', () => {
  it('lists every export of node:net, and synack has exactly the ones marked same or differs', () => {
    const names = Object.keys(net);
    expectListed('exports', names);
    for (const [name, row] of section('exports')) {
      const ours = (a.net as unknown as Record<string, unknown>)[name];
      const theirs = (net as unknown as Record<string, unknown>)[name];
      if (row.status === 'n.a.') expect(ours, `exports: ${name} is n.a. but synack has it`).toBeUndefined();
      else {
        expect(theirs, `exports: ${name} is not in node:net`).toBeDefined();
        expect(typeof ours, `exports: ${name}`).toBe(typeof theirs);
      }
    }
  });
});

describe('docs/net-compat.md against the real node:net: Socket and Server members', () => {
  const cases = [
    { title: 'Socket.prototype', node: () => net.Socket.prototype, ours: () => a.net.Socket.prototype, instance: () => new a.net.Socket(), stop: Duplex.prototype },
    { title: 'Server.prototype', node: () => net.Server.prototype, ours: () => a.net.Server.prototype, instance: () => a.net.createServer(), stop: EventEmitter.prototype },
  ];
  for (const c of cases) {
    it(`lists every member of node:net's ${c.title}, and each same member is on synack's of the same kind`, () => {
      const names = protoKeys(c.node());
      expectListed(c.title, names);
      for (const [name, row] of section(c.title)) {
        // a data member may be a field on synack's instances where Node has an accessor
        const instance = c.instance() as object;
        const own = Object.getOwnPropertyDescriptor(instance, name);
        const mine = ourMember(c.ours(), name, c.stop) ?? own;
        (instance as { destroy?: () => void }).destroy?.();
        if (row.status === 'synack') {
          expect(names, `${c.title}: ${name} is marked synack but node:net has it`).not.toContain(name);
          expect(mine, `${c.title}: ${name} is marked synack but synack lacks it`).toBeDefined();
          continue;
        }
        expect(names, `${c.title}: ${name} is listed but node:net has no such member`).toContain(name);
        const theirs = Object.getOwnPropertyDescriptor(c.node(), Reflect.ownKeys(c.node()).find((k) => keyName(k) === name)!);
        if (row.status === 'n.a.') expect(kind(mine), `${c.title}: ${name} is n.a. but synack has it`).toBe('absent');
        else if (name === 'read' || name === 'constructor') expect(name in c.ours()).toBe(true);
        else {
          const data = (k: string): string => (k === 'value' ? 'accessor' : k);
          expect(data(kind(mine)), `${c.title}: ${name}`).toBe(data(kind(theirs)));
        }
      }
    });
  }

  it("lists every public instance property of node:net's Socket and Server, and synack's instances have the same ones", () => {
    const nodeSocket = new net.Socket();
    const nodeServer = new net.Server();
    const pub = (o: object): string[] => Object.keys(o).filter((k) => !k.startsWith('_'));
    expectListed('Socket instance', pub(nodeSocket));
    expectListed('Server instance', pub(nodeServer));
    const ourSocket = new a.net.Socket();
    const ourServer = a.net.createServer();
    for (const [title, mine] of [
      ['Socket instance', ourSocket],
      ['Server instance', ourServer],
    ] as const) {
      const node = title.startsWith('Socket') ? nodeSocket : nodeServer;
      for (const [name, row] of section(title)) if (row.status === 'same' && name in node) expect(name in mine, `${title}: ${name}`).toBe(true);
    }
    // same values where Node sets them at construction
    for (const k of pub(nodeServer)) expect((ourServer as unknown as Record<string, unknown>)[k], `Server.${k}`).toEqual((nodeServer as unknown as Record<string, unknown>)[k]);
    nodeSocket.destroy();
    ourSocket.destroy();
  });

  it('lists the statics of node:net’s Socket and Server', () => {
    expectListed('Socket static', Object.getOwnPropertyNames(net.Socket));
    expectListed('Server static', Object.getOwnPropertyNames(net.Server));
    for (const title of ['Socket static', 'Server static']) {
      const ours = title.startsWith('Socket') ? a.net.Socket : a.net.Server;
      for (const [name] of section(title)) expect(name in ours, `${title}: ${name}`).toBe(true);
    }
  });

  it("lists every public member of synack's published Socket and Server types", () => {
    const listed = (title: string, name: string): boolean => section(title).has(name.replace(/^\[Symbol\.asyncDispose\]$/, 'Symbol(nodejs.asyncDispose)').replace(/^\[EventEmitter\.captureRejectionSymbol\]$/, 'Symbol(nodejs.rejection)'));
    const socketMissing = publishedMembers('dist/src/api/socket.d.ts', 'Socket').filter((n) => !listed('Socket.prototype', n) && !listed('Socket instance', n));
    const serverMissing = publishedMembers('dist/src/api/server.d.ts', 'Server').filter((n) => !listed('Server.prototype', n) && !listed('Server instance', n));
    expect(socketMissing, 'public Socket members not in docs/net-compat.md').toEqual([]);
    expect(serverMissing, 'public Server members not in docs/net-compat.md').toEqual([]);
  });
});

/** An options object that records every option name read from it. */
function recording<T extends object>(target: T): { options: T; read: Set<string> } {
  const read = new Set<string>();
  const options = new Proxy(target, {
    get: (t, k, r) => {
      if (typeof k === 'string') read.add(k);
      return Reflect.get(t, k, r) as unknown;
    },
    has: (t, k) => {
      if (typeof k === 'string') read.add(k);
      return Reflect.has(t, k);
    },
  });
  return { options, read };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('docs/net-compat.md against the real node:net: options', () => {
  let server: net.Server;
  let port: number;
  beforeAll(async () => {
    server = net.createServer((s) => s.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
    b.net.createServer((s) => s.destroy()).listen(80);
  });
  afterAll(() => server.close());

  /** Run f with a recording options object on node:net; names read are what Node looks at. */
  async function nodeReads(f: (o: object) => unknown, base: object = {}): Promise<string[]> {
    const r = recording({ ...base });
    const made = f(r.options) as { destroy?: () => void; close?: () => void } | undefined;
    await tick();
    made?.destroy?.();
    made?.close?.();
    return [...r.read].filter((k) => !(k in base));
  }

  /** The options of one documented table synack reads when each is given. */
  async function oursRead(f: (o: object) => unknown, full: object): Promise<Set<string>> {
    const r = recording(full);
    const made = f(r.options) as { destroy?: () => void; close?: () => void } | undefined;
    await sim.run(1);
    made?.destroy?.();
    made?.close?.();
    return r.read;
  }

  const sameOptions = (title: string): string[] => [...section(title)].filter(([, row]) => row.status === 'same').map(([n]) => n);

  it('new Socket(options): every option node:net reads is listed; synack reads each one marked same', async () => {
    expectListed('options: new Socket()', await nodeReads((o) => new net.Socket(o)));
    const read = await oursRead((o) => new a.net.Socket(o), { allowHalfOpen: true, highWaterMark: 1024, readableHighWaterMark: 1024, writableHighWaterMark: 1024, signal: new AbortController().signal });
    expect(sameOptions('options: new Socket()').filter((n) => !read.has(n)), 'marked same but not read').toEqual([]);
  });

  it('connect(options): every option node:net reads is listed; synack reads each one marked same', async () => {
    const names = [
      ...(await nodeReads((o) => net.connect(o as net.NetConnectOpts), { port, host: '127.0.0.1' })),
      ...(await nodeReads((o) => net.connect(o as net.NetConnectOpts), { port, host: 'localhost' })),
    ];
    expectListed('options: connect()', [...new Set(names)]);
    const lookup = (_h: string, _o: unknown, cb: (e: null, a: string, f: number) => void): void => cb(null, '10.0.0.2', 4);
    const full = {
      port: 80,
      host: 'server.test',
      localAddress: '10.0.0.1',
      localPort: 0,
      family: 4,
      hints: 0,
      lookup,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 1000,
      autoSelectFamily: false,
      autoSelectFamilyAttemptTimeout: 250,
      timeout: 1000,
      onread: { buffer: Buffer.alloc(1024), callback: () => true },
    };
    const read = await oursRead((o) => a.net.connect(o as Parameters<Stack['net']['connect']>[0]), full);
    expect(sameOptions('options: connect()').filter((n) => !read.has(n)), 'marked same but not read').toEqual([]);
  });

  it('createServer(options): every option node:net reads is listed; synack reads each one marked same', async () => {
    expectListed('options: createServer()', await nodeReads((o) => net.createServer(o)));
    const read = await oursRead((o) => a.net.createServer(o), { allowHalfOpen: true, highWaterMark: 1024, pauseOnConnect: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 });
    expect(sameOptions('options: createServer()').filter((n) => !read.has(n)), 'marked same but not read').toEqual([]);
  });

  it('listen(options): every option node:net reads is listed; synack reads each one marked same', async () => {
    expectListed('options: listen()', await nodeReads((o) => net.createServer().listen(o), { port: 0, host: '127.0.0.1' }));
    const read = await oursRead((o) => a.net.createServer().listen(o), { port: 8000, backlog: 16, ipv6Only: false, signal: new AbortController().signal });
    expect(sameOptions('options: listen()').filter((n) => !['host'].includes(n) && !read.has(n)), 'marked same but not read').toEqual([]);
  });
});

/** Record the names an emitter emits. */
function recordEvents(em: EventEmitter): Set<string> {
  const seen = new Set<string>();
  const emit = em.emit.bind(em);
  em.emit = ((name: string | symbol, ...args: unknown[]) => {
    if (typeof name === 'string') seen.add(name);
    return emit(name, ...args);
  }) as typeof em.emit;
  return seen;
}

describe('docs/net-compat.md against the real node:net: events', () => {
  /** Run one scenario on node:net (loopback, real time) and on synack (virtual time). */
  async function both(scenario: (api: typeof net, host: string, port: number, wait: (p: () => boolean) => Promise<void>) => Promise<EventEmitter[]>): Promise<[Set<string>[], Set<string>[]]> {
    const waitNode = async (p: () => boolean): Promise<void> => {
      for (let i = 0; i < 300 && !p(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    const waitOurs = async (p: () => boolean): Promise<void> => {
      await sim.runUntil(p, 60_000);
    };
    // both on loopback: synack's stack has its own 127.0.0.1 and resolves localhost to it
    const theirs = await scenario(net, '127.0.0.1', 0, waitNode);
    const ours = await scenario(b.net as unknown as typeof net, '127.0.0.1', 0, waitOurs);
    return [theirs.map((e) => (e as unknown as { seen: Set<string> }).seen), ours.map((e) => (e as unknown as { seen: Set<string> }).seen)];
  }

  /** A server and a client through a whole conversation: the client sees connect..close. */
  const conversation = async (api: typeof net, host: string, _p: number, wait: (p: () => boolean) => Promise<void>): Promise<EventEmitter[]> => {
    const server = api.createServer((s) => {
      s.on('data', () => s.end('bye'));
    });
    const serverSeen = recordEvents(server);
    server.listen(0, host);
    await wait(() => server.listening);
    const port = (server.address() as net.AddressInfo).port;
    const c = api.connect({ port, host: 'localhost' });
    const seen = recordEvents(c);
    c.setTimeout(20);
    c.on('timeout', () => c.write('hi'));
    c.on('data', () => {});
    let closed = false;
    c.on('close', () => (closed = true));
    await wait(() => closed);
    // a refused connect, and a listen on a port in use
    const refused = api.connect({ port: 1, host });
    const refusedSeen = recordEvents(refused);
    refused.on('error', () => {});
    let refusedClosed = false;
    refused.on('close', () => (refusedClosed = true));
    const dup = api.createServer();
    const dupSeen = recordEvents(dup);
    dup.on('error', () => {});
    dup.listen(port, host);
    await wait(() => refusedClosed && dupSeen.has('error'));
    // beyond maxConnections: 'drop' (0 would mean no limit, as Node 20)
    server.maxConnections = 1;
    const kept = api.connect({ port, host });
    const dropped = api.connect({ port, host });
    for (const s of [kept, dropped]) s.on('error', () => {});
    await wait(() => serverSeen.has('drop'));
    kept.destroy();
    dropped.destroy();
    server.close();
    await wait(() => serverSeen.has('close'));
    for (const [em, s] of [
      [c, seen],
      [refused, refusedSeen],
      [server, serverSeen],
      [dup, dupSeen],
    ] as const) {
      (em as unknown as { seen: Set<string> }).seen = s;
    }
    return [c, refused, server, dup];
  };

  it('every event node:net emits in a whole conversation is listed, and synack emits each one marked same', async () => {
    const [theirs, ours] = await both(conversation);
    const sockets = [...theirs[0]!, ...theirs[1]!];
    const servers = [...theirs[2]!, ...theirs[3]!];
    expectListed('events: Socket', [...new Set(sockets)]);
    expectListed('events: Server', [...new Set(servers)]);
    for (let i = 0; i < theirs.length; i++) {
      const title = i < 2 ? 'events: Socket' : 'events: Server';
      const missing = [...theirs[i]!].filter((n) => section(title).get(n)?.status === 'same' && !ours[i]!.has(n));
      expect(missing, `${title}: emitted by node:net in scenario ${i} but not by synack`).toEqual([]);
    }
  });
});
