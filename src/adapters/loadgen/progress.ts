/**
 * The live progress line of `attack` on a TTY: achieved send rate over the last second, success ratio
 * and p99 latency from the intended send time (an HdrHistogram in microseconds, 3 significant digits),
 * plus requests in flight and dropped. Rewritten in place once a second; silent when not on a TTY.
 */
import * as hdr from "hdr-histogram-js";
import { formatGoDuration, roundToNextUnit } from "../../core/loadgen/go-duration.js";
import type { AttackResult } from "../../core/loadgen/result.js";

export class ProgressLine {
  private readonly hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private done = 0;
  private ok = 0;
  private dropped = 0;
  private lastDone = 0;
  private lastAt: number;
  private readonly started: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (s: string) => void,
    private readonly sentSoFar: () => number,
  ) {
    this.started = performance.now();
    this.lastAt = this.started;
    this.timer = setInterval(() => this.render(false), 1000);
    this.timer.unref();
  }

  record(r: AttackResult): void {
    if (r.dropped) {
      this.dropped += r.count ?? 1;
      return;
    }
    this.done++;
    if (r.code >= 200 && r.code < 400) this.ok++;
    this.hist.recordValue(Math.max(1, Math.round((r.latency + r.lateness) / 1000)));
  }

  private render(final: boolean): void {
    const now = performance.now();
    const rate = ((this.done - this.lastDone) * 1000) / Math.max(1, now - this.lastAt);
    this.lastDone = this.done;
    this.lastAt = now;
    const p99 =
      this.done > 0 ? formatGoDuration(roundToNextUnit(this.hist.getValueAtPercentile(99) * 1000)) : "-";
    const success = this.done > 0 ? ((this.ok / this.done) * 100).toFixed(2) : "-";
    const inFlight = this.sentSoFar() - this.done;
    const elapsed = ((now - this.started) / 1000).toFixed(1);
    const line =
      `${elapsed}s  done ${this.done}  ${final ? "" : `rate ${rate.toFixed(1)}/s  `}success ${success}%  ` +
      `p99 ${p99} (from intended)  in-flight ${inFlight}  dropped ${this.dropped}`;
    this.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
  }

  stop(): void {
    clearInterval(this.timer);
    this.render(true);
  }
}
