/**
 * Which adapter rule serves which API metric, as the adapter's own discovery finds it: each rule's
 * seriesQuery is run against Prometheus (`/api/v1/series`, the last hour) and the series names are
 * indexed through the rule's `name` block. Refreshed on a timer; the last good index is kept when a
 * query fails.
 */
import { type AdapterRules, indexRuleSeries } from "../../core/ehpa/rule-query.js";
import type { CompiledConfig, CompiledRule } from "../../core/metrics/config.js";
import type { PrometheusClient } from "../prometheus/client.js";

export class RuleDiscovery {
  private current: AdapterRules;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: CompiledConfig,
    private readonly prometheus: PrometheusClient,
    private readonly log: { warn(msg: string): void },
  ) {
    this.current = indexRuleSeries(config, new Map());
  }

  rules(): AdapterRules {
    return this.current;
  }

  /** Runs discovery now, then every `everyMs`. */
  async start(everyMs: number): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const start = Date.now() / 1000 - 3600;
    const byRule = new Map<CompiledRule, string[]>();
    let failed = false;
    await Promise.all(
      [...this.config.rules, ...this.config.externalRules].map(async (rule) => {
        try {
          const series = await this.prometheus.series([rule.seriesQuery], start);
          byRule.set(rule, [...new Set(series.map((s) => s.__name__ ?? "").filter(Boolean))]);
        } catch (e) {
          failed = true;
          this.log.warn(`rule discovery ${rule.id} (${rule.seriesQuery}): ${(e as Error).message}`);
        }
      }),
    );
    if (!failed) this.current = indexRuleSeries(this.config, byRule);
  }
}
