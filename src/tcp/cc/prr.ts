/**
 * Proportional Rate Reduction (RFC 6937): during recovery, how much may be sent on each ACK so
 * that by the end of recovery the flight has fallen smoothly to ssthresh — sending ssthresh /
 * RecoverFS of what is delivered while the pipe is above ssthresh, and slow-starting back up to it
 * (PRR-SSRB, the reduction bound Linux uses) when losses took the pipe below.
 */
export class Prr {
  /** bytes the receiver has reported delivered since recovery began */
  delivered = 0;
  /** bytes sent since recovery began */
  out = 0;
  /** FlightSize when recovery began */
  recoverFs = 0;

  start(flightSize: number): void {
    this.delivered = 0;
    this.out = 0;
    this.recoverFs = Math.max(1, flightSize);
  }

  /**
   * One ACK during recovery that reports `deliveredData` bytes (SND.UNA's advance plus newly SACKed
   * bytes). Returns sndcnt: the bytes that may be sent now, so cwnd = pipe + sndcnt.
   */
  onAck(deliveredData: number, pipe: number, ssthresh: number, mss: number): number {
    this.delivered += deliveredData;
    let sndcnt: number;
    if (pipe > ssthresh) {
      // proportional part: CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out, rounded up to
      // whole segments as RFC 6937's examples and Linux (which counts packets) do
      sndcnt = Math.ceil((this.delivered * ssthresh) / this.recoverFs / mss) * mss - this.out;
    } else {
      // slow-start reduction bound: limit = MAX(prr_delivered − prr_out, DeliveredData) + MSS
      const limit = Math.max(this.delivered - this.out, deliveredData) + mss;
      sndcnt = Math.min(ssthresh - pipe, limit);
    }
    // the fast retransmit itself always goes (RFC 6937 §3: recovery starts with it; Linux's
    // tcp_cwnd_reduction forces one segment while nothing has been sent)
    if (this.out === 0) sndcnt = Math.max(sndcnt, mss);
    return Math.max(sndcnt, 0);
  }

  onSend(bytes: number): void {
    this.out += bytes;
  }
}
