/**
 * The flags `adapter` and `rules test` share for reaching Prometheus, and the client options they build.
 * Kept apart from commands/adapter.ts so that `rules test` does not load the adapter's server libraries.
 */
import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import type { PrometheusClientOptions } from "../adapters/prometheus/client.js";
import { TokenFile } from "../adapters/prometheus/token-file.js";
import { parseDurationMs } from "../core/duration.js";
import { invalidInput } from "../core/errors.js";

/** The values of the flags {@link addPrometheusFlags} adds, as commander parses them. */
export interface PrometheusFlags {
  prometheusUrl: string;
  prometheusVerb: "GET" | "POST";
  prometheusCaFile?: string;
  prometheusClientTlsCertFile?: string;
  prometheusClientTlsKeyFile?: string;
  prometheusTokenFile?: string;
  prometheusAuthUsername?: string;
  prometheusAuthPasswordFile?: string;
  prometheusInsecureSkipTlsVerify?: boolean;
  prometheusHeader: string[];
  prometheusTimeout: string;
}

/** Options shared by `adapter` and `rules test` for reaching Prometheus. */
export function addPrometheusFlags(cmd: Command): Command {
  return cmd
    .option("--prometheus-url <url>", "Prometheus base URL (a path prefix is kept)", "http://127.0.0.1:9090")
    .addOption(
      new Option("--prometheus-verb <verb>", "HTTP verb for Prometheus queries")
        .choices(["GET", "POST"])
        .default("GET"),
    )
    .option("--prometheus-ca-file <file>", "CA bundle to verify an https Prometheus")
    .option("--prometheus-client-tls-cert-file <file>", "client certificate for Prometheus (mutual TLS)")
    .option("--prometheus-client-tls-key-file <file>", "client key for --prometheus-client-tls-cert-file")
    .option("--prometheus-token-file <file>", "file holding a bearer token for Prometheus")
    .option("--prometheus-auth-username <user>", "basic-auth user for Prometheus")
    .option("--prometheus-auth-password-file <file>", "file holding the basic-auth password")
    .option("--prometheus-insecure-skip-tls-verify", "do not verify Prometheus' certificate (unsafe)")
    .option(
      "--prometheus-header <key=value>",
      "extra header sent to Prometheus (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--prometheus-timeout <duration>", "timeout of one Prometheus call", "10s");
}

function readSecret(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    throw invalidInput(
      flag,
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** Builds Prometheus client options from the flags `addPrometheusFlags` adds. */
export function prometheusOptions(o: PrometheusFlags): PrometheusClientOptions {
  const opts: PrometheusClientOptions = {
    url: o.prometheusUrl,
    method: o.prometheusVerb === "POST" ? "POST" : "GET",
    timeoutMs: parseDurationMs(o.prometheusTimeout, "--prometheus-timeout"),
  };
  if (o.prometheusCaFile) opts.ca = readSecret(o.prometheusCaFile, "--prometheus-ca-file");
  if (!!o.prometheusClientTlsCertFile !== !!o.prometheusClientTlsKeyFile)
    throw invalidInput(
      "--prometheus-client-tls-cert-file",
      "needs --prometheus-client-tls-key-file (and the other way round)",
    );
  if (o.prometheusClientTlsCertFile && o.prometheusClientTlsKeyFile) {
    opts.clientCert = readSecret(o.prometheusClientTlsCertFile, "--prometheus-client-tls-cert-file");
    opts.clientKey = readSecret(o.prometheusClientTlsKeyFile, "--prometheus-client-tls-key-file");
  }
  if (o.prometheusAuthUsername) {
    if (o.prometheusTokenFile)
      throw invalidInput("--prometheus-auth-username", "cannot be combined with --prometheus-token-file");
    opts.basicAuth = {
      username: o.prometheusAuthUsername,
      password: o.prometheusAuthPasswordFile
        ? readSecret(o.prometheusAuthPasswordFile, "--prometheus-auth-password-file")
        : "",
    };
  }
  if (o.prometheusInsecureSkipTlsVerify) opts.insecureSkipVerify = true;
  const headers: Record<string, string> = {};
  for (const h of o.prometheusHeader) {
    const eq = h.indexOf("=");
    if (eq <= 0) throw invalidInput("--prometheus-header", `want key=value, got "${h}"`);
    headers[h.slice(0, eq).trim()] = h.slice(eq + 1);
  }
  if (Object.keys(headers).length > 0) opts.headers = headers;
  // Last, after every check that can throw: the token file is watched until the client is closed.
  if (o.prometheusTokenFile)
    opts.bearerToken = new TokenFile(o.prometheusTokenFile, "--prometheus-token-file");
  return opts;
}
