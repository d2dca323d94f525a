/**
 * `tidescale doctor`: finds why autoscaling on metrics does not work (metrics APIServices, the adapter,
 * Prometheus and its targets, the adapter's rules, HPA conditions and events, EHPAs) and prints each
 * problem with what was seen, why and the fix. Exit 0 healthy, 1 findings, 2 bad input.
 */
import { Command } from "commander";
import { parseYamlText, readTextFile } from "../../adapters/files/yaml-file.js";
import { type KubeApi, kubeApiFromConfig, statusMessage } from "../../adapters/http/auth/kube-client.js";
import { collectKubeSnapshot } from "../../adapters/kube/doctor-snapshot.js";
import { probePrometheus, probeRules } from "../../adapters/prometheus/doctor-probe.js";
import {
  type DoctorSnapshot,
  describeChecked,
  diagnose,
  renderFindings,
  servedSummary,
} from "../../core/doctor/diagnose.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import {
  validateDns1123Label,
  validateDns1123Subdomain,
  validatePathSegmentName,
} from "../../core/labels/names.js";
import { type CompiledConfig, compileConfig } from "../../core/metrics/config.js";

interface DoctorFlags {
  kubeconfig?: string;
  namespace?: string;
  hpa?: string;
  prometheusUrl?: string;
  rules?: string;
  rulesConfigmap?: string;
  metricsMaxAge: string;
  output: string;
}

/** `NAMESPACE/NAME[:KEY]` of --rules-configmap, validated by Kubernetes' naming rules. */
function parseConfigMapRef(v: string): { namespace: string; name: string; key?: string | undefined } {
  const m = /^([^/:]+)\/([^/:]+)(?::(.+))?$/.exec(v);
  if (!m) throw invalidInput("--rules-configmap", `want NAMESPACE/NAME[:KEY], got "${v}"`);
  const [, namespace = "", name = "", key] = m;
  const bad = validateDns1123Label(namespace) ?? validateDns1123Subdomain(name);
  if (bad) throw invalidInput("--rules-configmap", `"${v}": ${bad}`);
  if (key !== undefined && !/^[-._a-zA-Z0-9]+$/.test(key))
    throw invalidInput("--rules-configmap", `"${v}": a key holds only letters, digits, '-', '_' and '.'`);
  return { namespace, name, key };
}

function checkFlags(o: DoctorFlags): void {
  if (o.output !== "text" && o.output !== "json")
    throw invalidInput("--output", `want text or json, got "${o.output}"`);
  if (o.namespace !== undefined) {
    const bad = validateDns1123Label(o.namespace);
    if (bad) throw invalidInput("--namespace", `"${o.namespace}": ${bad}`);
  }
  if (o.hpa !== undefined) {
    if (o.namespace === undefined) throw invalidInput("--hpa", "needs --namespace");
    const bad = validatePathSegmentName(o.hpa);
    if (bad) throw invalidInput("--hpa", `"${o.hpa}": ${bad}`);
  }
  if (o.prometheusUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(o.prometheusUrl))
    throw invalidInput("--prometheus-url", `want an http(s) URL, got "${o.prometheusUrl}"`);
  if (o.rulesConfigmap !== undefined) parseConfigMapRef(o.rulesConfigmap);
  if (o.rules !== undefined && o.rulesConfigmap !== undefined)
    throw invalidInput("--rules", "give --rules or --rules-configmap, not both");
  const rulesFlag =
    o.rules !== undefined ? "--rules" : o.rulesConfigmap !== undefined ? "--rules-configmap" : undefined;
  if (rulesFlag && o.prometheusUrl === undefined) throw invalidInput(rulesFlag, "needs --prometheus-url");
}

interface LoadedRules {
  config: CompiledConfig;
  source: string;
}

/** `--rules FILE`, read and compiled before anything else (a bad file is bad input, exit 2). */
async function loadRulesFile(file: string): Promise<LoadedRules> {
  const text = await readTextFile(file, "--rules");
  return { config: compileConfig(parseYamlText(text, file), file), source: file };
}

/** The adapter's rules from `--rules-configmap NS/NAME[:KEY]` (the only, or the first `.yaml`, key). */
async function loadRulesConfigMap(api: KubeApi, o: DoctorFlags): Promise<LoadedRules | undefined> {
  if (o.rulesConfigmap === undefined) return undefined;
  const ref = parseConfigMapRef(o.rulesConfigmap);
  const r = await api.get(
    `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/configmaps/${encodeURIComponent(ref.name)}`,
  );
  if (r.status !== 200)
    throw new ToolkitError(
      r.status === 404 ? "NOT_FOUND" : "UNAVAILABLE",
      "--rules-configmap",
      `configmap ${ref.namespace}/${ref.name}: ${statusMessage(r)}`,
    );
  const data = (r.body as { data?: Record<string, string> }).data ?? {};
  const keys = Object.keys(data);
  const key = ref.key ?? (keys.length === 1 ? keys[0] : keys.find((k) => /\.ya?ml$/.test(k)));
  if (key === undefined || data[key] === undefined)
    throw invalidInput(
      "--rules-configmap",
      `configmap ${ref.namespace}/${ref.name} has no key ${ref.key ?? "ending in .yaml"} (keys: ${keys.join(", ") || "none"})`,
    );
  const source = `configmap/${ref.namespace}/${ref.name}:${key}`;
  return { config: compileConfig(parseYamlText(data[key], source), source), source };
}

async function collect(
  api: KubeApi,
  o: DoctorFlags,
  fileRules: LoadedRules | undefined,
  maxAgeMs: number,
): Promise<DoctorSnapshot> {
  const nowMs = Date.now();
  const rules = fileRules ?? (await loadRulesConfigMap(api, o));
  const snapshot: DoctorSnapshot = await collectKubeSnapshot(api, o, nowMs);
  if (o.prometheusUrl !== undefined) {
    snapshot.prometheus = await probePrometheus(o.prometheusUrl);
    if (rules && snapshot.prometheus.error === undefined)
      snapshot.rules = await probeRules(o.prometheusUrl, rules.config, rules.source, maxAgeMs, nowMs);
  }
  return snapshot;
}

export function register(program: Command): void {
  const cmd = new Command("doctor")
    .description(
      "Find why autoscaling on metrics does not work: metrics APIServices that are not Available " +
        "(FailedDiscoveryCheck, MissingEndpoints, ServiceNotFound), the adapter's discovery and readiness, " +
        "Prometheus targets that are down (RBAC decoded) and failing discovery, adapter rules that match " +
        "nothing or series without the labels they need, HPA conditions and events decoded (FailedGetScale, " +
        "missing requests naming the containers, metric names not served with the nearest served names, " +
        "ScalingLimited, selectors) and EHPA readiness. Exit 0 healthy, 1 when something needs fixing, 2 on bad input.",
    )
    .option("--kubeconfig <file>", "kubeconfig (default: in-cluster when running in a pod)")
    .option("-n, --namespace <namespace>", "only the HPAs (and EHPAs) of this namespace (default: all)")
    .option("--hpa <name>", "only this HPA (needs --namespace)")
    .option("--prometheus-url <url>", "also check this Prometheus: ready, targets down, failing discovery")
    .option("--rules <file>", "the adapter's rules file: run each seriesQuery against --prometheus-url")
    .option(
      "--rules-configmap <ns/name[:key]>",
      "the adapter's rules from its ConfigMap (e.g. tidescale/tidescale-adapter-config:rules.yaml)",
    )
    .option(
      "--metrics-max-age <duration>",
      "with --rules: only series this recent count (as the adapter's flag)",
      "10m",
    )
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText(
      "after",
      "\nExamples:\n  tidescale doctor --kubeconfig ~/.kube/config -n shop --hpa web\n" +
        "  tidescale doctor --prometheus-url http://127.0.0.1:9090 --rules-configmap tidescale/tidescale-adapter-config -o json",
    )
    .action(async (o: DoctorFlags) => {
      checkFlags(o);
      const maxAgeMs = parseDurationMs(o.metricsMaxAge, "--metrics-max-age");
      const fileRules = o.rules !== undefined ? await loadRulesFile(o.rules) : undefined;
      const api = kubeApiFromConfig(o.kubeconfig, "--kubeconfig");
      if (!api) throw invalidInput("--kubeconfig", "required outside a cluster");
      const snapshot = await collect(api, o, fileRules, maxAgeMs);
      const findings = diagnose(snapshot);
      const healthy = !findings.some((f) => f.severity === "error");
      process.stdout.write(
        o.output === "json"
          ? `${JSON.stringify({ healthy, checked: describeChecked(snapshot), findings, served: servedSummary(snapshot) }, null, 2)}\n`
          : renderFindings(findings, describeChecked(snapshot)),
      );
      if (!healthy) process.exitCode = 1;
    });
  program.addCommand(cmd);
}
