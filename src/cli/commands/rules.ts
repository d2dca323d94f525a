/**
 * `tidescale rules test`: runs the adapter's discovery once against Prometheus and shows, per rule, the
 * series matched, the metric names exposed (with resources) and the exact PromQL of a sample request
 * with Prometheus' answer. `-o json` gives the same as a stable object (docs/adapter-config.md).
 */
import { Command, Option } from "commander";
import { createPrometheusClient, type PrometheusClient } from "../../adapters/prometheus/client.js";
import { loadConfigFile, relist } from "../../adapters/prometheus/discovery.js";
import { parseDurationMs } from "../../core/duration.js";
import { ToolkitError } from "../../core/errors.js";
import { formatRulesReport, planRulesReport, type SampleResult } from "../../core/metrics/rules-report.js";
import { addPrometheusFlags, type PrometheusFlags, prometheusOptions } from "../prometheus-flags.js";

async function run(client: PrometheusClient, query: string, nowMs: number): Promise<SampleResult> {
  try {
    const r = await client.query(query, nowMs / 1000);
    if (r.resultType === "vector")
      return { samples: r.result.map((s) => ({ labels: s.metric, value: s.value[1] })) };
    if (r.resultType === "scalar") return { samples: [{ labels: {}, value: r.result[1] }] };
    return { error: `query returned a ${r.resultType}, not a vector` };
  } catch (e) {
    return { error: e instanceof ToolkitError ? e.oneLine() : String(e) };
  }
}

export function register(program: Command): void {
  const rules = new Command("rules")
    .description("Work with adapter rules files (prometheus-adapter format).")
    .addHelpText(
      "after",
      "\nExample:\n  tidescale rules test --config examples/rules.yaml --prometheus-url http://127.0.0.1:9090\n" +
        "  tidescale rules test --help   # the rules format is in docs/adapter-config.md",
    );
  const test = new Command("test")
    .summary("Show what each rule matches and its PromQL")
    .description(
      "Run discovery once and show, for each rule: the series it matched, the metric names it exposes " +
        "(and on which resources), and the exact PromQL for a sample request with Prometheus' answer. " +
        "Exit 1 when Prometheus fails a seriesQuery or a sample query.",
    )
    .requiredOption("--config <file>", "rules file")
    .option("--metrics-max-age <duration>", "only series with samples this recent are discovered", "10m")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"),
    );
  addPrometheusFlags(test);
  test.addHelpText(
    "after",
    "\nExample:\n  tidescale rules test --config examples/rules.yaml --prometheus-url http://127.0.0.1:9090\n" +
      "  tidescale rules test --config examples/rules.yaml --prometheus-url http://127.0.0.1:9090 -o json | jq '.rules[].metrics'",
  );
  test.action(async (o: PrometheusFlags & { config: string; metricsMaxAge: string; output: string }) => {
    const config = await loadConfigFile(o.config);
    const maxAgeMs = parseDurationMs(o.metricsMaxAge, "--metrics-max-age");
    const client = createPrometheusClient({ ...prometheusOptions(o), retries: 1 });
    try {
      const nowMs = Date.now();
      const { registry, failures } = await relist(client, config, { nowMs, maxAgeMs });
      const report = planRulesReport(config, registry, o.prometheusUrl);
      let failed = failures.size > 0;
      for (const r of report.rules) {
        if (r.sample?.query) {
          r.sample.result = await run(client, r.sample.query, nowMs);
          if (r.sample.result.error) failed = true;
        }
      }
      for (const s of report.resourceRules ?? []) {
        if (s.query) {
          s.result = await run(client, s.query, nowMs);
          if (s.result.error) failed = true;
        }
      }
      process.stdout.write(
        o.output === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatRulesReport(report),
      );
      if (failed) process.exitCode = 1;
    } finally {
      await client.close();
    }
  });
  rules.addCommand(test);
  program.addCommand(rules);
}
