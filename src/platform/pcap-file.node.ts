/** `#platform/pcap-file` where there is a file system: capture files on disk. */
export { openPcapFile } from '../link/pcap.js';
