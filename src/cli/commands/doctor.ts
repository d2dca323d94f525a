/**
 * `tidescale doctor`: finds why autoscaling on custom metrics does not work (metrics APIServices, HPA
 * conditions and events, Prometheus readiness) and prints each problem with what was seen, why and the
 * fix. Exit 0 healthy, 1 findings, 2 bad input.
 */
import { Command } from "commander";
import { kubeApiFromConfig } from "../../adapters/http/auth/kube-client.js";
import { collectSnapshot } from "../../adapters/kube/doctor-snapshot.js";
import { diagnose, renderFindings } from "../../core/doctor/diagnose.js";
import { invalidInput } from "../../core/errors.js";
import { validateDns1123Label, validatePathSegmentName } from "../../core/labels/names.js";

interface DoctorFlags {
  kubeconfig?: string;
  namespace?: string;
  hpa?: string;
  prometheusUrl?: string;
  output: string;
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
}

export function register(program: Command): void {
  const cmd = new Command("doctor")
    .description(
      "Find why autoscaling on metrics does not work: metrics APIServices that are not Available " +
        "(FailedDiscoveryCheck, MissingEndpoints, ServiceNotFound), HPA conditions and events decoded " +
        "(FailedGetScale, missing resource requests, metric names not served with the nearest served names) " +
        "and Prometheus readiness. Exit 0 healthy, 1 when something needs fixing, 2 on bad input.",
    )
    .option("--kubeconfig <file>", "kubeconfig (default: in-cluster when running in a pod)")
    .option("-n, --namespace <namespace>", "only the HPAs of this namespace (default: all)")
    .option("--hpa <name>", "only this HPA (needs --namespace)")
    .option("--prometheus-url <url>", "also check that this Prometheus is ready")
    .option("-o, --output <format>", "text or json", "text")
    .addHelpText(
      "after",
      "\nExample:\n  tidescale doctor --kubeconfig ~/.kube/config -n shop --hpa web --prometheus-url http://127.0.0.1:9090",
    )
    .action(async (o: DoctorFlags) => {
      checkFlags(o);
      const api = kubeApiFromConfig(o.kubeconfig, "--kubeconfig");
      if (!api) throw invalidInput("--kubeconfig", "required outside a cluster");
      const snapshot = await collectSnapshot(api, o);
      const findings = diagnose(snapshot);
      const checked = `${snapshot.apiServices.length} metrics APIServices, ${snapshot.hpas.length} HPAs${snapshot.prometheus ? ", Prometheus" : ""}`;
      process.stdout.write(
        o.output === "json"
          ? `${JSON.stringify({ healthy: findings.length === 0, findings }, null, 2)}\n`
          : renderFindings(findings, checked),
      );
      if (findings.length > 0) process.exitCode = 1;
    });
  program.addCommand(cmd);
}
