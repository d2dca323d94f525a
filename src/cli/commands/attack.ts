/**
 * `tidescale attack`: open-model constant-rate HTTP load, vegeta-compatible flags and results
 * (see docs/loadgen.md).
 */
import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { readFileError } from "../../adapters/files/file-error.js";
import type { PreparedTarget } from "../../adapters/loadgen/attacker.js";
import { BufferedWriter, openOutput } from "../../adapters/loadgen/results-io.js";
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput } from "../../core/errors.js";
import { parseRate } from "../../core/loadgen/rate.js";
import { createResultJsonEncoder } from "../../core/loadgen/result.js";
import {
  parseHeaderLine,
  parseHttpTargets,
  parseJsonTargets,
  type Target,
} from "../../core/loadgen/targets.js";
import { acceptSingleDashFlags, goBool, intFlag } from "../vegeta-flags.js";

async function readInput(path: string, where: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw readFileError(e, where, path);
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw invalidInput(
      "-targets",
      'no targets: pipe them in (echo "GET http://127.0.0.1:8080/" | tidescale attack ...) or use -targets FILE',
    );
  }
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Default cap on requests in flight (vegeta's -max-workers has no default cap; memory needs one). */
export const DEFAULT_MAX_WORKERS = 1000;

export function register(program: Command): void {
  const cmd = new Command("attack")
    .summary("Send open-model constant-rate HTTP load (vegeta flags); results as JSON lines")
    .description(
      "Send HTTP load at a constant rate on an absolute schedule (open model: never paced by responses)\n" +
        "and write one result per request (JSON lines) for `tidescale report`, `plot` and `encode`.\n" +
        "Latency is measured from the actual send; each result also records how late the send was, so\n" +
        "the report shows latency from the intended time too. Flags follow vegeta (one or two dashes).",
    )
    .option(
      "--rate <rate>",
      "requests per time unit: N/s, N/1m, N (per second); 0 = as fast as possible (needs -max-workers)",
      "50/1s",
    )
    .option("--duration <duration>", "how long to send (Go duration); 0 = until interrupted", "0")
    .option("--targets <file>", "targets file (default: stdin)")
    .option("--format <format>", "targets format: http or json", "http")
    .option(
      "--header <header>",
      "request header 'Name: value' for every target (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--body <file>", "request body file for targets without their own")
    .option("--timeout <duration>", "per-request timeout (headers and body each); 0 = none", "30s")
    .option("--workers <n>", "accepted for vegeta compatibility (requests are async; see -max-workers)", "10")
    .option(
      "--max-workers <n>",
      "cap on requests in flight; due requests beyond it wait (late), and those still waiting at the end are dropped",
      String(DEFAULT_MAX_WORKERS),
    )
    .option(
      "--connections <n>",
      "accepted for vegeta compatibility (idle connections are not capped separately)",
      "10000",
    )
    .option(
      "--max-connections <n>",
      "cap on connections per origin (0 = no cap; vegeta's default is no cap). Requests beyond it wait for a connection, and that wait counts as send lateness",
      "256",
    )
    .option("--keepalive [bool]", "reuse connections", goBool("-keepalive"), true)
    .option("--http2 [bool]", "use HTTP/2 with TLS servers that offer it", goBool("-http2"), true)
    .option("--insecure [bool]", "skip TLS certificate verification", goBool("-insecure"), false)
    .option("--redirects <n>", "redirects to follow; -1 or 0 = do not follow (a 3xx counts as success)", "10")
    .option("--max-body <bytes>", "response body bytes kept in each result (-1 = all)", "0")
    .option("--name <name>", "attack name, stored in results and sent as X-Vegeta-Attack")
    .option("--output <file>", "results file (default: stdout)")
    .addHelpText(
      "after",
      "\nExample:\n" +
        '  echo "GET http://127.0.0.1:8080/" | tidescale attack -rate 240/s -duration 10s | tidescale report\n' +
        "  tidescale attack -targets targets.txt -rate 1000/s -duration 30s -output results.jsonl",
    )
    .action(async (o) => {
      const rate = parseRate(o.rate, "-rate");
      const durationMs = parseDurationMs(o.duration, "-duration");
      const timeoutMs = parseDurationMs(o.timeout, "-timeout");
      intFlag("-workers", 1, o.workers);
      intFlag("-connections", 0, o.connections);
      const maxConnections = intFlag("-max-connections", 0, o.maxConnections);
      const maxWorkers = intFlag("-max-workers", 1, o.maxWorkers);
      const redirects = intFlag("-redirects", -1, o.redirects);
      const maxBody = intFlag("-max-body", -1, o.maxBody);
      if (rate.freq === 0 && cmd.getOptionValueSource("maxWorkers") === "default") {
        throw invalidInput(
          "-rate",
          "rate 0 (as fast as possible) needs -max-workers to bound the number of concurrent requests",
        );
      }
      if (o.format !== "http" && o.format !== "json")
        throw invalidInput("-format", `want http or json, got "${o.format}"`);
      const headers = (o.header as string[]).map((h) => parseHeaderLine(h, "-header"));
      const source = o.targets ?? "stdin";
      const text = o.targets ? (await readInput(o.targets, "-targets")).toString("utf8") : await readStdin();
      const parsed: Target[] =
        o.format === "json" ? parseJsonTargets(text, source) : parseHttpTargets(text, source);
      const defaultBody = o.body ? new Uint8Array(await readInput(o.body, "-body")) : undefined;
      const targets: PreparedTarget[] = [];
      for (const t of parsed) {
        let body = t.body ?? defaultBody;
        if (t.bodyFile) body = new Uint8Array(await readInput(t.bodyFile, `${source}: @${t.bodyFile}`));
        const own = new Set(t.headers.map(([k]) => k.toLowerCase()));
        targets.push({
          method: t.method,
          url: t.url,
          headers: [...headers.filter(([k]: [string, string]) => !own.has(k.toLowerCase())), ...t.headers],
          body,
        });
      }

      // The HTTP client and the progress histogram load only when an attack runs (not for --help).
      const [{ runAttack }, { ProgressLine }] = await Promise.all([
        import("../../adapters/loadgen/attacker.js"),
        import("../../adapters/loadgen/progress.js"),
      ]);
      const abort = new AbortController();
      // A reader that went away (`attack | head`) stops the attack quietly: nobody reads the results.
      let readerGone = false;
      const out = new BufferedWriter(openOutput(o.output ?? ""), () => {
        readerGone = true;
        abort.abort();
      });
      const encode = createResultJsonEncoder();
      const counters = { sent: 0 };
      const progress = process.stderr.isTTY
        ? new ProgressLine(
            (s) => process.stderr.write(s),
            () => counters.sent,
          )
        : undefined;
      // First Ctrl-C (or SIGTERM): stop sending, abort what is in flight after a short grace, write the
      // results and exit. A second one exits at once.
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) abort.abort();
        else {
          out.flush();
          process.exit(signal === "SIGTERM" ? 143 : 130);
        }
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const summary = await runAttack({
          targets,
          rate,
          durationMs,
          maxWorkers,
          maxConnections,
          timeoutMs,
          keepalive: o.keepalive,
          http2: o.http2,
          insecure: o.insecure,
          redirects,
          name: o.name ?? "",
          maxBody,
          signal: abort.signal,
          counters,
          onWarmUpResult: (r) => encode(r),
          onResult: (r) => {
            progress?.record(r);
            out.write(encode(r));
          },
        });
        progress?.stop();
        if (summary.dropped > 0 && !readerGone) {
          process.stderr.write(
            `warning: ${summary.dropped} of ${summary.scheduled} scheduled requests were dropped (due but never sent: requests in flight at their cap, -max-workers ${maxWorkers} or -max-connections ${maxConnections} per origin)\n`,
          );
        }
        if (summary.interrupted > 0 && !readerGone) {
          process.stderr.write(
            `warning: ${summary.interrupted} requests in flight were aborted when the attack was stopped\n`,
          );
        }
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await out.close();
      }
    });
  acceptSingleDashFlags(cmd);
  program.addCommand(cmd);
}
