/** `#platform/buffer` in browsers and workers: the `buffer` package (the one readable-stream uses). */
export { Buffer } from 'buffer';
