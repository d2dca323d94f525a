/**
 * `tidescale recommend`: resource requests, replicas and an HPA for workloads from their usage history in
 * Prometheus (cAdvisor series) and their spec in the API, the HPA replayed through the simulator; or, with
 * `--trace`, an HPA for a recorded traffic trace replayed against a simulation scenario's HPA. Read-only:
 * nothing is written to the cluster. See docs/recommend.md.
 */
import type { Command } from "commander";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import type { WorkloadRecommendation } from "../../core/recommend/index.js";
import type { PatchContext } from "../../core/recommend/report.js";
import type { RecommendPolicy } from "../../core/recommend/types.js";
import { addPrometheusFlags, type PrometheusFlags, prometheusOptions } from "../prometheus-flags.js";

interface RecommendFlags extends PrometheusFlags {
  kubeconfig?: string;
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  output: string;
  window: string;
  step: string;
  rate: string;
  end?: string;
  cpuQuery?: string;
  memoryQuery?: string;
  cpuPercentile: string;
  memoryPercentile: string;
  margin: string;
  halfLife: string;
  limits: string;
  targetUtilization: string;
  minHistory: string;
  maxGap: string;
  trace?: string;
  scenario?: string;
  holdout: string;
}

const KINDS: Record<string, "Deployment" | "StatefulSet"> = {
  deployment: "Deployment",
  deployments: "Deployment",
  deploy: "Deployment",
  statefulset: "StatefulSet",
  statefulsets: "StatefulSet",
  sts: "StatefulSet",
};

function fraction(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v <= 0 || v > 1)
    throw invalidInput(flag, `want a number in (0, 1], got "${text}"`);
  return v;
}

function nonNegative(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || v < 0)
    throw invalidInput(flag, `want a number ≥ 0, got "${text}"`);
  return v;
}

function positiveDuration(text: string, flag: string): number {
  const ms = parseDurationMs(text, flag);
  if (ms <= 0) throw invalidInput(flag, "must be greater than 0");
  return ms;
}

/** The policy from the flags. */
async function policyOf(o: RecommendFlags): Promise<RecommendPolicy> {
  const { withPolicy } = await import("../../core/recommend/policy.js");
  if (o.limits !== "keepRatio" && o.limits !== "unchanged")
    throw invalidInput("--limits", `want keepRatio or unchanged, got "${o.limits}"`);
  const halfLifeMs =
    o.halfLife === "never" ? Number.POSITIVE_INFINITY : positiveDuration(o.halfLife, "--half-life");
  const margin = nonNegative(o.margin, "--margin");
  return withPolicy({
    cpu: { percentile: fraction(o.cpuPercentile, "--cpu-percentile"), margin, halfLifeMs },
    memory: { percentile: fraction(o.memoryPercentile, "--memory-percentile"), margin, halfLifeMs },
    limits: o.limits,
    replicas: { targetUtilization: fraction(o.targetUtilization, "--target-utilization") },
    data: {
      minHistoryMs: parseDurationMs(o.minHistory, "--min-history"),
      maxGapMs: positiveDuration(o.maxGap, "--max-gap"),
    },
  });
}

/** `deployment/web`, or `deployment web`. */
function parseTarget(
  args: string[],
  o: RecommendFlags,
): { kind: "Deployment" | "StatefulSet"; name?: string } {
  const [first, second, ...rest] = args;
  if (rest.length > 0)
    throw invalidInput("arguments", `too many: ${args.join(" ")} (want KIND/NAME or KIND NAME)`);
  if (first === undefined)
    throw invalidInput("arguments", "name a workload (deployment/NAME) or a kind with -l SELECTOR");
  const [kindText, slashName] = first.includes("/") ? first.split("/", 2) : [first, second];
  const kind = KINDS[kindText!.toLowerCase()];
  if (!kind) throw invalidInput("arguments", `unknown kind "${kindText}" (want deployment or statefulset)`);
  const name = first.includes("/") ? slashName : second;
  if (first.includes("/") && second !== undefined)
    throw invalidInput("arguments", `unexpected "${second}" after ${first}`);
  if (name !== undefined && o.selector !== undefined)
    throw invalidInput("-l", "give a workload name or a selector, not both");
  if (name === undefined && o.selector === undefined)
    throw invalidInput("arguments", `name the ${kind} (${kindText}/NAME) or select several with -l SELECTOR`);
  if (name !== undefined && o.allNamespaces)
    throw invalidInput("-A", "a named workload lives in one namespace: use -n");
  return name === undefined ? { kind } : { kind, name };
}

async function recommendCluster(args: string[], o: RecommendFlags, policy: RecommendPolicy) {
  const target = parseTarget(args, o);
  const [
    { loadKubeClients },
    { readWorkloads },
    { fetchWorkloadUsage, hasNoSeries },
    { createPrometheusClient },
  ] = await Promise.all([
    import("../../adapters/kube/client.js"),
    import("../../adapters/recommend/workloads.js"),
    import("../../adapters/recommend/usage.js"),
    import("../../adapters/prometheus/client.js"),
  ]);
  const { recommendWorkload } = await import("../../core/recommend/index.js");
  const { checkTemplate, DEFAULT_QUERIES } = await import("../../core/recommend/queries.js");
  const queries = { cpu: o.cpuQuery ?? DEFAULT_QUERIES.cpu, memory: o.memoryQuery ?? DEFAULT_QUERIES.memory };
  checkTemplate(queries.cpu, "--cpu-query");
  checkTemplate(queries.memory, "--memory-query");
  const windowMs = positiveDuration(o.window, "--window");
  const stepMs = positiveDuration(o.step, "--step");
  const endMs = o.end === undefined ? Date.now() : parseTime(o.end);
  const clients = loadKubeClients(o.kubeconfig, "--kubeconfig");
  const namespace = o.allNamespaces ? undefined : (o.namespace ?? "default");
  const workloads = await readWorkloads(clients, {
    kind: target.kind,
    ...(target.name !== undefined ? { name: target.name } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(o.selector !== undefined ? { selector: o.selector } : {}),
  });
  if (workloads.length === 0)
    throw new ToolkitError(
      "NOT_FOUND",
      "-l",
      `no ${target.kind} matches "${o.selector}" in ${namespace === undefined ? "any namespace" : `namespace "${namespace}"`} (check the selector, or use -A)`,
    );
  const prom = createPrometheusClient(prometheusOptions(o));
  const out: { rec: WorkloadRecommendation; ctx: PatchContext }[] = new Array(workloads.length);
  let next = 0;
  // a few workloads in flight at once (two range queries each), results kept in the listing's order
  const worker = async () => {
    while (next < workloads.length) {
      const i = next++;
      const info = workloads[i]!;
      const usage = await fetchWorkloadUsage(prom, info, {
        endMs,
        windowMs,
        stepMs,
        rate: o.rate,
        queries,
      }).catch((e: unknown) => {
        next = workloads.length; // the other workers stop at their next turn
        throw e;
      });
      if (target.name !== undefined && hasNoSeries(usage))
        throw new ToolkitError(
          "NOT_FOUND",
          `prometheus ${o.prometheusUrl}`,
          `no usage series for ${target.kind.toLowerCase()} ${info.ref.namespace}/${info.ref.name} in the ${o.window} before ${new Date(usage.windowEndMs).toISOString()} (check --prometheus-url, that cAdvisor is scraped, or --cpu-query/--memory-query)`,
        );
      out[i] = {
        rec: recommendWorkload(usage, policy),
        ctx: { object: info.object, hpaApiVersion: info.hpaApiVersion },
      };
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(4, workloads.length) }, worker));
  } finally {
    await prom.close();
  }
  return out;
}

function parseTime(text: string): number {
  const secs = Number(text);
  if (text.trim() !== "" && Number.isFinite(secs)) return secs * 1000;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms))
    throw invalidInput("--end", `want an RFC 3339 time or Unix seconds, got "${text}"`);
  return ms;
}

async function recommendTrace(o: RecommendFlags, policy: RecommendPolicy, write: (s: string) => void) {
  if (!o.scenario)
    throw invalidInput(
      "--scenario",
      "--trace needs a simulation scenario for the workload and the current HPA (e.g. examples/seed-qps.yaml)",
    );
  const [{ readScenarioFile }, { readTextFile }, { parseSeriesCsv }, { recommendFromTrace }, report] =
    await Promise.all([
      import("../../adapters/files/scenario-file.js"),
      import("../../adapters/files/yaml-file.js"),
      import("../../core/series/csv.js"),
      import("../../core/recommend/trace.js"),
      import("../../core/recommend/report.js"),
    ]);
  const scenario = await readScenarioFile(o.scenario);
  const points = parseSeriesCsv(await readTextFile(o.trace!), { name: o.trace!, nonNegative: true });
  if (points.length < 2) throw invalidInput(o.trace!, "needs at least two samples");
  const stepMs = o.step === "1m" ? medianStep(points.map((p) => p.t)) : positiveDuration(o.step, "--step");
  const holdoutMs = o.holdout === "0" ? 0 : positiveDuration(o.holdout, "--holdout");
  const rec = recommendFromTrace({ points, stepMs, scenario: scenario.spec, holdoutMs }, policy);
  if (o.output === "json")
    write(
      `${JSON.stringify({ apiVersion: report.RECOMMENDATION_JSON_VERSION, trace: o.trace, hpa: rec }, null, 2)}\n`,
    );
  else if (o.output === "yaml") {
    const { stringify } = await import("yaml");
    if (rec.abstain) throw new ToolkitError("NOT_FOUND", o.trace!, `no HPA recommendation: ${rec.message}`);
    write(`# HPA for ${o.trace}: replay verdict: ${rec.verdict}\n${stringify(rec.recommended.object)}`);
  } else
    write(
      `${o.trace} (${holdoutMs > 0 ? `sized before the last ${o.holdout}, replayed on it` : "sized and replayed on the whole trace"})\n${report.hpaText(rec, false)}`,
    );
}

function medianStep(ts: number[]): number {
  const d = ts.slice(1).map((t, i) => t - ts[i]!);
  d.sort((a, b) => a - b);
  return d[d.length >> 1]!;
}

async function writeOutput(
  results: { rec: WorkloadRecommendation; ctx: PatchContext }[],
  output: string,
  write: (s: string) => void,
) {
  const report = await import("../../core/recommend/report.js");
  const rs = results.map((r) => r.rec);
  if (output === "json") {
    write(`${JSON.stringify(report.recommendationsJson(rs), null, 2)}\n`);
    return;
  }
  if (output === "yaml") {
    const { stringify } = await import("yaml");
    const docs = results.flatMap((r) => report.patchDocuments(r.rec, r.ctx));
    if (docs.length === 0)
      throw new ToolkitError(
        "NOT_FOUND",
        "-o yaml",
        "every recommendation abstained: nothing to apply (see the table for why)",
      );
    write(docs.map((d) => `# ${d.comment}\n${stringify(d.object)}`).join("---\n"));
    return;
  }
  write(report.recommendationsText(rs));
}

/** Runs the command; `write` receives stdout. */
export async function runRecommend(
  args: string[],
  o: RecommendFlags,
  write: (s: string) => void = (s) => void process.stdout.write(s),
): Promise<void> {
  if (!["table", "json", "yaml"].includes(o.output))
    throw invalidInput("--output", `want table, json or yaml, got "${o.output}"`);
  const policy = await policyOf(o);
  if (o.trace !== undefined) {
    if (args.length > 0)
      throw invalidInput("arguments", "--trace replaces the workload: drop the workload arguments");
    await recommendTrace(o, policy, write);
    return;
  }
  await writeOutput(await recommendCluster(args, o, policy), o.output, write);
}

export function register(program: Command): void {
  const cmd = program
    .command("recommend")
    .description(
      "Recommend resource requests, replicas and an HPA for workloads from their usage history in Prometheus\n" +
        "(cAdvisor container_cpu_usage_seconds_total and container_memory_working_set_bytes) and their spec in\n" +
        "the API. The HPA is replayed through the simulator on the same history and reported with its\n" +
        "under-provisioned minutes and pod-hours against the current settings. Read-only: prints a table,\n" +
        "JSON, or YAML that `kubectl apply -f -` accepts. With --trace, recommends an HPA for a traffic trace\n" +
        "against a simulation scenario's HPA instead (no cluster needed).",
    )
    .argument("[workload...]", "KIND/NAME or KIND NAME (deployment, statefulset); KIND alone with -l")
    .option("--kubeconfig <file>", "kubeconfig (default: in-cluster config)")
    .option("-n, --namespace <ns>", "namespace of the workload(s)", undefined)
    .option("-A, --all-namespaces", "with -l: every namespace")
    .option("-l, --selector <selector>", "label selector of the workloads (with KIND)")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .option("--window <duration>", "history to read", "7d")
    .option("--step <duration>", "query step (trace: its spacing)", "1m")
    .option("--rate <duration>", "{{rate}} of the CPU query", "5m")
    .option("--end <time>", "end of the window (RFC 3339 or Unix seconds; default now)")
    .option("--cpu-query <template>", "CPU usage query template ({{namespace}}, {{pod}}, {{rate}})")
    .option("--memory-query <template>", "memory usage query template ({{namespace}}, {{pod}})")
    .option("--cpu-percentile <p>", "percentile of CPU usage for the request", "0.9")
    .option("--memory-percentile <p>", "percentile of memory usage for the request", "0.99")
    .option("--margin <fraction>", "safety margin on requests", "0.15")
    .option("--half-life <duration>", "half-life of sample weights, or never", "24h")
    .option("--limits <policy>", "keepRatio (scale limits with requests) or unchanged", "keepRatio")
    .option("--target-utilization <u>", "target utilization for the replicas figure", "0.5")
    .option("--min-history <duration>", "abstain with less history", "24h")
    .option("--max-gap <duration>", "abstain (replicas, HPA) on a longer gap", "1h")
    .option("--trace <csv>", "recommend an HPA for this traffic trace (timestamp,value) instead")
    .option("--scenario <file>", "with --trace: the Simulation scenario (workload and current HPA)")
    .option(
      "--holdout <duration>",
      "with --trace: size on all but this tail, replay on it (0: the whole trace)",
      "0",
    );
  addPrometheusFlags(cmd);
  cmd
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  tidescale recommend deployment/web -n shop --kubeconfig ~/.kube/config --prometheus-url http://127.0.0.1:9090\n" +
        "  tidescale recommend deployment -l tier=frontend -A -o yaml | kubectl apply --dry-run=server -f -\n" +
        "  tidescale recommend --trace examples/traces/t1_retail_webshop.csv --scenario examples/seed-qps.yaml\n",
    )
    .action(async (args: string[], o: RecommendFlags) => {
      await runRecommend(args, o);
    });
}
