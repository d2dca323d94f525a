/**
 * bench/loadgen A/B: the send lateness of `tidescale attack -rate N/s` of two or more checkouts of this
 * repository (each with its node_modules), in the same run against the same server, rounds interleaved
 * (the order rotates per round), medians and per-round paired ratios against the first checkout. Each
 * round records the 1-minute load average and a bare 1 ms timer's p99 overshoot.
 * Usage: `ROUNDS=7 SECONDS=5 RATE=5000 npx tsx bench/loadgen/ab.ts <checkout> <checkout>...`, e.g. an old
 * commit checked out with `git worktree add /tmp/lg-old <commit> && (cd /tmp/lg-old && npm ci)`:
 * `npx tsx bench/loadgen/ab.ts /tmp/lg-old .`
 */
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../test/support/process.js";
import {
  fmt,
  type LatenessStats,
  latenessStats,
  median,
  run,
  startServer,
  timerBaselineP99,
} from "./support.js";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const SECONDS = Number(process.env.SECONDS ?? 5);
const RATE = Number(process.env.RATE ?? 5000);
const checkouts = process.argv.slice(2).map((d) => resolve(d));
if (checkouts.length < 2) {
  console.error("error: usage: npx tsx bench/loadgen/ab.ts <checkout> <checkout>...");
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), "tidescale-bench-loadgen-ab-"));

async function attack(root: string, url: string, out: string): Promise<LatenessStats> {
  const args = ["--import", "tsx", join(root, "src/cli/main.ts"), "attack", "-rate", `${RATE}/s`];
  args.push("-max-connections", "64", "-duration", `${SECONDS}s`, "-output", out);
  const a = await run(process.execPath, args, {
    cwd: root,
    input: `GET ${url}\n`,
    timeoutMs: (SECONDS + 60) * 1000,
  });
  if (a.code !== 0) throw new Error(`${root}: attack failed: ${a.err}`);
  return latenessStats(out);
}

const show = (s: LatenessStats) =>
  `p99 ${fmt(s.p99, 2)} ms, first second p99 ${fmt(s.firstSecondP99, 2)} ms (${s.sentFirstSecond} sent in it), after it ${fmt(s.steadyP99, 2)} ms`;

async function main(): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const server = await startServer(port);
  const rows = checkouts.map(() => [] as LatenessStats[]);
  const loads: number[] = [];
  const timers: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      loads.push(loadavg()[0]!);
      timers.push(await timerBaselineP99());
      console.log(
        `round ${round}: load average ${fmt(loads.at(-1)!, 2)}, 1 ms timer p99 ${fmt(timers.at(-1)!, 2)} ms`,
      );
      for (let i = 0; i < checkouts.length; i++) {
        const k = (i + round) % checkouts.length;
        const s = await attack(checkouts[k]!, url, join(tmp, `${k}.jsonl`));
        rows[k]!.push(s);
        console.log(`  ${checkouts[k]}: ${show(s)}`);
      }
    }
  } finally {
    server.kill("SIGTERM");
  }
  const med = (k: number, f: (s: LatenessStats) => number) => median(rows[k]!.map(f));
  console.log(
    `\n${RATE}/s for ${SECONDS} s, medians of ${ROUNDS} rounds; load average median ${fmt(median(loads), 2)}, timer p99 median ${fmt(median(timers), 2)} ms`,
  );
  console.log(
    "| checkout | p99 whole run | p99 first second | sent in first second | p99 after it | p99 / first checkout's (median of rounds, range) |\n|---|---|---|---|---|---|",
  );
  checkouts.forEach((c, k) => {
    const ratios = rows[k]!.map((s, i) => s.p99 / Math.max(rows[0]![i]!.p99, 0.05));
    console.log(
      `| ${c} | ${fmt(
        med(k, (s) => s.p99),
        2,
      )} ms | ${fmt(
        med(k, (s) => s.firstSecondP99),
        2,
      )} ms | ${fmt(med(k, (s) => s.sentFirstSecond))} | ` +
        `${fmt(
          med(k, (s) => s.steadyP99),
          2,
        )} ms | ${fmt(median(ratios), 2)} (${fmt(Math.min(...ratios), 2)}-${fmt(Math.max(...ratios), 2)}) |`,
    );
  });
}

await main();
