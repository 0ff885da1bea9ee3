/**
 * Node's surface, exactly: every argument error synack's net API throws is the one real node:net
 * throws for the same call — same class, `name`, `code`, `message` and `toString()`. Each case calls
 * both and compares, so the test proves equality instead of restating messages.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { SimNetwork } from '../../src/index.js';

interface Shape {
  threw: boolean;
  ctor?: string;
  name?: string;
  code?: unknown;
  message?: string;
  text?: string;
}

function shape(f: () => unknown): Shape {
  try {
    const r = f() as { destroy?: () => void; close?: () => void } | undefined;
    // a call that did not throw may have started something: stop it
    if (r && typeof r.destroy === 'function') r.destroy();
    return { threw: false };
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return {
      threw: true,
      ctor: err.constructor.name,
      name: err.name,
      code: err.code,
      message: err.message,
      text: String(err),
    };
  }
}

const sim = new SimNetwork();
const stack = sim.host('10.0.0.1');
afterAll(() => sim.close());

type NetLike = Pick<typeof net, 'connect' | 'createServer'> & { Socket: new (o?: object) => net.Socket };
const nodeNet = net as unknown as NetLike;
const ourNet = stack.net as unknown as NetLike;

/** Call `f` with node:net and with stack.net: node:net must throw, and synack the same. */
function same(f: (n: NetLike) => unknown): void {
  const theirs = shape(() => f(nodeNet));
  const ours = shape(() => f(ourNet));
  expect(theirs.threw, 'node:net throws for this call').toBe(true);
  expect(ours).toEqual(theirs);
}

const cases = <T>(list: T[]): T[] => list;

describe('net.connect(): argument errors as node:net', () => {
  it('no port, no path: TypeError ERR_MISSING_ARGS', () => {
    same((n) => (n.connect as (...a: unknown[]) => unknown)());
    same((n) => n.connect({} as net.NetConnectOpts));
  });

  it.each(cases<unknown[]>([[{ port: 'x' }], [{ port: -1 }], [-1], [70000], [{ port: 1.5 }], [{ port: '' }], [{ port: '80x' }], [{ port: NaN }]]))(
    'a bad port %j: RangeError ERR_SOCKET_BAD_PORT',
    (...args) => same((n) => (n.connect as (...a: unknown[]) => unknown)(...args)),
  );

  it.each(cases<unknown[]>([[null], [true], [{ port: null }], [{ port: {} }]]))('a port of the wrong type %j: TypeError ERR_INVALID_ARG_TYPE', (...args) =>
    same((n) => (n.connect as (...a: unknown[]) => unknown)(...args)),
  );

  it.each(
    cases<[string, object]>([
      ['host', { port: 80, host: 5 }],
      ['localAddress', { port: 80, host: '10.0.0.2', localAddress: 'x' }],
      ['localAddress', { port: 80, host: '10.0.0.2', localAddress: 5 }],
      ['localPort', { port: 80, host: '10.0.0.2', localPort: 'x' }],
      ['family', { port: 80, family: 5 }],
      ['lookup', { port: 80, host: 'example.test', lookup: 5 }],
      ['hints', { port: 80, host: 'example.test', hints: 'x' }],
      ['autoSelectFamily', { port: 80, host: 'example.test', autoSelectFamily: 'yes' }],
      ['autoSelectFamilyAttemptTimeout', { port: 80, autoSelectFamily: true, autoSelectFamilyAttemptTimeout: -1 }],
      ['autoSelectFamilyAttemptTimeout', { port: 80, autoSelectFamilyAttemptTimeout: 1.5 }],
      ['signal', { port: 80, host: '10.0.0.2', signal: 5 }],
      ['highWaterMark', { port: 80, host: '10.0.0.2', highWaterMark: -1 }],
      ['readableHighWaterMark', { port: 80, host: '10.0.0.2', readableHighWaterMark: 'x' }],
      ['timeout', { port: 80, host: '10.0.0.2', timeout: 'x' }],
      ['timeout', { port: 80, host: '10.0.0.2', timeout: -1 }],
    ]),
  )('a bad options.%s: the same TypeError or RangeError', (_name, options) => same((n) => n.connect(options as net.NetConnectOpts)));
});

describe('new net.Socket(options) and its methods: argument errors as node:net', () => {
  it.each(cases<object>([{ highWaterMark: -1 }, { readableHighWaterMark: 'x' }, { writableHighWaterMark: 1.5 }, { signal: 5 }, { signal: {} }]))(
    'new Socket(%j) throws as node:net',
    (options) => same((n) => new n.Socket(options)),
  );

  it.each(cases<unknown[]>([['x'], [-1], [Infinity], [NaN], [-(2 ** 40)], [1, 5], [1, 'cb']]))('socket.setTimeout(%j) throws as node:net', (...args) =>
    same((n) => {
      const s = new n.Socket();
      try {
        return (s.setTimeout as (...a: unknown[]) => unknown)(...args);
      } finally {
        s.destroy();
      }
    }),
  );
});

describe('net.createServer() and server.listen(): argument errors as node:net', () => {
  it.each(cases<unknown[]>([[5], ['x'], [true], [{ keepAliveInitialDelay: 'x' }], [{ highWaterMark: 'x' }]]))('createServer(%j) throws as node:net', (...args) =>
    same((n) => (n.createServer as (...a: unknown[]) => unknown)(...args)),
  );

  it.each(
    cases<unknown[]>([[{}], [{ port: 'x' }], [-1], [70000], [1.5], [true], [{ port: 0, host: 5 }], [{ port: undefined, host: 5 }], [{ port: 0, signal: 5 }], [{ backlog: 5 }]]),
  )('listen(%j) throws as node:net', (...args) =>
    same((n) => {
      const server = n.createServer();
      try {
        (server.listen as (...a: unknown[]) => unknown)(...args);
      } finally {
        server.close();
      }
    }),
  );

  it.each(cases<unknown[]>([[], [undefined], [null], [{ port: undefined }], [{ port: null }]]))('listen(%j) takes any free port, as node:net', async (...args) => {
    const node = (net.createServer().listen as (...a: unknown[]) => net.Server)(...args);
    const ours = (stack.net.createServer().listen as (...a: unknown[]) => ReturnType<typeof stack.net.createServer>)(...args);
    await Promise.all([once(node, 'listening'), sim.run(1)]);
    try {
      expect((node.address() as net.AddressInfo).port).toBeGreaterThan(0);
      expect(ours.address()?.port).toBeGreaterThan(0);
    } finally {
      node.close();
      ours.close();
    }
  });

  it('getConnections(callback) needs a function, as node:net', () => {
    same((n) => n.createServer().getConnections(5 as unknown as () => void));
  });

  it('listen() twice: Error ERR_SERVER_ALREADY_LISTEN', async () => {
    const node = net.createServer().listen(0, '127.0.0.1');
    const ours = stack.net.createServer().listen(0);
    await Promise.all([once(node, 'listening'), sim.run(1)]);
    try {
      expect(shape(() => ours.listen(0))).toEqual(shape(() => node.listen(0)));
      expect(shape(() => node.listen(0)).code).toBe('ERR_SERVER_ALREADY_LISTEN');
    } finally {
      node.close();
      ours.close();
    }
  });
});

describe('net.setDefaultAutoSelectFamily() and friends: argument errors as node:net', () => {
  const api = (n: unknown) => n as typeof net;
  it.each(cases<unknown>(['x', 1, null]))('setDefaultAutoSelectFamily(%j) throws as node:net', (v) =>
    same((n) => api(n).setDefaultAutoSelectFamily(v as boolean)),
  );
  it.each(cases<unknown>(['x', -1, 0, 1.5, 2 ** 33]))('setDefaultAutoSelectFamilyAttemptTimeout(%j) throws as node:net', (v) =>
    same((n) => api(n).setDefaultAutoSelectFamilyAttemptTimeout(v as number)),
  );
});
