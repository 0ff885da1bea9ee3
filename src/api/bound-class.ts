/**
 * A stack's own view of a shared class (`stack.net.Socket`, `stack.dgram.Socket`): constructing it
 * passes the stack to the class's constructor.
 */
import type { Stack } from '../stack/stack.js';

/** A class that, like node:net's Socket and Server, may also be called without `new`. */
export interface CallableClass<T, A extends unknown[]> {
  new (...args: A): T;
  (...args: A): T;
  readonly prototype: T;
}

/**
 * `cls` bound to `stack`: constructing it (with or without `new`, or through a subclass's `super`)
 * constructs `cls` with the stack as its first argument. Every stack's sockets are thus of one
 * class with one prototype: a class per stack would give each stack's sockets hidden classes of
 * their own, and from the fifth stack in a process on, every property access in the socket's and
 * Node's stream code would go megamorphic (measured: handshakes per second fell by a third).
 */
export function boundTo<T, A extends unknown[]>(cls: new (stack: Stack, ...args: A) => T, stack: Stack): CallableClass<T, A> {
  const wrapped: CallableClass<T, A> = new Proxy(cls, {
    apply: (target, _self, args: unknown[]) => new target(stack, ...(args as A)),
    // `new` through the proxy constructs with the class itself as new.target: V8 derives a fresh
    // hidden class for every instance whose new.target is not a plain function (a Proxy); a
    // subclass of it keeps its own new.target
    construct: (target, args: unknown[], newTarget: object) =>
      (newTarget === wrapped ? new target(stack, ...(args as A)) : Reflect.construct(target, [stack, ...args], newTarget as typeof target)) as object,
  }) as unknown as CallableClass<T, A>;
  return wrapped;
}

