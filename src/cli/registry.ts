/**
 * The list of commands: a name, the one line the top-level help shows, and how to load the command.
 * A command's module (and the libraries it needs) is imported only when that command runs, so
 * `tidescale --version` or `tidescale report --help` never load the Kubernetes client, the HTTP client
 * or the logger. Add one entry per command file in `commands/`; the file exports `register(program)`.
 */
import type { Command } from "commander";

export type RegisterCommand = (program: Command) => void;

export interface CommandEntry {
  name: string;
  /** One short line (the top-level help never wraps it: keep it under ~60 characters). */
  summary: string;
  /** Imports the command's module; it defines the full command (options, help, action). */
  load: () => Promise<{ register: RegisterCommand }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "up",
    summary: "Run the whole autoscaling path live on this machine",
    load: () => import("./commands/up.js"),
  },
  {
    name: "forecast",
    summary: "Forecast a series with p50/p90/p99 quantiles",
    load: () => import("./commands/forecast.js"),
  },
  {
    name: "backtest",
    summary: "Score forecasters by rolling-origin backtest",
    load: () => import("./commands/backtest.js"),
  },
  {
    name: "simulate",
    summary: "Replay load through the exact HPA engine",
    load: () => import("./commands/simulate.js"),
  },
  {
    name: "sample-app",
    summary: "Run the sample HTTP service",
    load: () => import("./commands/sample-app.js"),
  },
  {
    name: "attack",
    summary: "Send constant-rate HTTP load (vegeta flags)",
    load: () => import("./commands/attack.js"),
  },
  {
    name: "report",
    summary: "Summarize attack results (text, json, hist, hdrplot)",
    load: () => import("./commands/report.js"),
  },
  {
    name: "plot",
    summary: "Write an HTML plot of attack results or of an up run",
    load: () => import("./commands/plot.js"),
  },
  {
    name: "encode",
    summary: "Convert attack results between JSON lines and CSV",
    load: () => import("./commands/encode.js"),
  },
  {
    name: "adapter",
    summary: "Serve the Kubernetes metrics APIs from Prometheus",
    load: () => import("./commands/adapter.js"),
  },
  {
    name: "certs",
    summary: "Make the adapter's CA, serving Secret and APIServices",
    load: () => import("./commands/certs.js"),
  },
  {
    name: "controller",
    summary: "Run the EHPA controller (predictive autoscaling)",
    load: () => import("./commands/controller.js"),
  },
  {
    name: "doctor",
    summary: "Find why metrics autoscaling does not work",
    load: () => import("./commands/doctor.js"),
  },
  {
    name: "rules",
    summary: "Test adapter rules files against Prometheus",
    load: () => import("./commands/rules.js"),
  },
  {
    name: "hpa",
    summary: "Explain an HPA decision with the exact engine",
    load: () => import("./commands/hpa.js"),
  },
  {
    name: "ehpa",
    summary: "Convert and validate EHPA manifests (Crane's too)",
    load: () => import("./commands/ehpa.js"),
  },
  {
    name: "recommend",
    summary: "Recommend requests, replicas and a replayed HPA",
    load: () => import("./commands/recommend.js"),
  },
];

/** The entry named `name`, if any. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
