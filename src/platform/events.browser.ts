/** `#platform/events` in browsers and workers: the `events` package, Node's EventEmitter for the web. */
export { EventEmitter } from 'events';
