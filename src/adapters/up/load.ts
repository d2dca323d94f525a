/**
 * The load of `tidescale up`: the project's attacker (adapters/loadgen) through the local Service, phase
 * after phase (core/up/scenario.ts), counting every result per tick and in total. The cool-down is one
 * attack stopped once the HPA has settled at its minimum: the attacker then sends nothing more and lets
 * the requests in flight finish (at 5 req/s on idle pods they take ~100 ms, well inside its grace).
 */

import type { AttackResult } from "../../core/loadgen/result.js";
import type { LoadPhase } from "../../core/up/scenario.js";
import { type LoadTotals, quantile } from "../../core/up/summary.js";
import { type PreparedTarget, runAttack } from "../loadgen/attacker.js";

/** What the load generator saw in one tick. */
export interface TickLoad {
  offered: number;
  served: number;
  errors: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
}

/** Counts results per tick and in total. */
export class LoadMeter {
  private sentMark = 0;
  readonly counters = { sent: 0 };
  private served = 0;
  private errors = 0;
  private dropped = 0;
  private latencies: number[] = [];
  readonly totals: LoadTotals = { scheduled: 0, served: 0, unserved: 0 };

  record(r: AttackResult): void {
    if (r.dropped) {
      const n = r.count ?? 1;
      this.dropped += n;
      this.errors += n;
      this.totals.unserved += n;
      return;
    }
    if (r.code >= 200 && r.code < 300) {
      this.served++;
      this.totals.served++;
      this.latencies.push(r.latency / 1e6);
    } else {
      this.errors++;
      this.totals.unserved++;
    }
  }

  /** The counts since the last call. */
  take(): TickLoad {
    const sorted = this.latencies.sort((a, b) => a - b);
    const tick: TickLoad = {
      offered: this.counters.sent - this.sentMark + this.dropped,
      served: this.served,
      errors: this.errors,
    };
    const p50 = quantile(sorted, 0.5);
    const p99 = quantile(sorted, 0.99);
    if (p50 !== undefined) tick.latencyP50Ms = p50;
    if (p99 !== undefined) tick.latencyP99Ms = p99;
    this.sentMark = this.counters.sent;
    this.served = 0;
    this.errors = 0;
    this.dropped = 0;
    this.latencies = [];
    return tick;
  }
}

const SETTLED_POLL_MS = 1000;

/** Runs the phases in order; `onPhase` is told when each starts; stops early when `signal` aborts. */
export async function runLoad(opts: {
  targets: PreparedTarget[];
  phases: readonly LoadPhase[];
  meter: LoadMeter;
  signal: AbortSignal;
  onPhase: (p: LoadPhase) => void;
  /** For the cool-down: true once the HPA is back at its minimum with no pod draining. */
  settled: () => boolean;
}): Promise<void> {
  const attack = async (rps: number, durationMs: number, signal: AbortSignal) => {
    const summary = await runAttack({
      targets: opts.targets,
      rate: { freq: rps, perMs: 1000 },
      durationMs,
      maxWorkers: 2000,
      maxConnections: 512,
      timeoutMs: 10_000,
      keepalive: true,
      http2: false,
      insecure: false,
      redirects: 0,
      name: "tidescale-up",
      maxBody: 0,
      signal,
      counters: opts.meter.counters,
      onResult: (r) => opts.meter.record(r),
    });
    opts.meter.totals.scheduled += summary.scheduled;
  };
  for (const phase of opts.phases) {
    if (opts.signal.aborted) return;
    opts.onPhase(phase);
    if (!phase.untilMinReplicas) {
      await attack(phase.rps, phase.durationMs, opts.signal);
      continue;
    }
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    opts.signal.addEventListener("abort", onAbort, { once: true });
    const poll = setInterval(() => {
      if (opts.settled()) stop.abort();
    }, SETTLED_POLL_MS);
    try {
      await attack(phase.rps, phase.durationMs, stop.signal);
    } finally {
      clearInterval(poll);
      opts.signal.removeEventListener("abort", onAbort);
    }
  }
}
