/** `#pcap-file` where there is no file system: capture through a function instead (SimNetwork.capture). */
import { makeError } from '../errors.js';
import type { PcapFile, PcapWriterOptions } from '../link/pcap-writer.js';

export function openPcapFile(path: string, _opts: PcapWriterOptions = {}): PcapFile {
  throw makeError(
    'ERR_METHOD_NOT_IMPLEMENTED',
    `cannot write the pcap file "${path}": this runtime has no file system; pass a function that takes each chunk of the capture instead`,
  );
}
