/**
 * bench/startup: how long `tidescale` takes to start, as a user runs it (the built `dist/cli/main.js`),
 * next to `node -e 0` (Node's own start-up) in the same run:
 *   --version, report --help, hpa explain examples/explain-snapshot.yaml.
 * Each round runs every command once after `node -e 0`, in turn, so a pair shares the machine's state;
 * the report gives per command the median wall time, the median of the per-pair excess over `node -e 0`,
 * and CPU time and peak RSS from /usr/bin/time. Goal: <= 150 ms wall for the first two.
 * Usage: npm run bench startup  (env ROUNDS=15; builds dist first)
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const TIME = "/usr/bin/time";
const tmp = mkdtempSync(join(tmpdir(), "tidescale-bench-startup-"));
const MAIN = join(ROOT, "dist/cli/main.js");

const CASES: Array<{ name: string; args: string[] }> = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "tidescale --version", args: [MAIN, "--version"] },
  { name: "tidescale report --help", args: [MAIN, "report", "--help"] },
  {
    name: "tidescale hpa explain examples/explain-snapshot.yaml",
    args: [MAIN, "hpa", "explain", "examples/explain-snapshot.yaml"],
  },
];

interface Sample {
  wallMs: number;
  cpuMs: number | undefined;
  rssMiB: number | undefined;
}

/** Runs `node args` once; wall time from spawn to exit, CPU and peak RSS from /usr/bin/time if present. */
function once(args: string[]): Promise<Sample> {
  const stats = join(tmp, "time.txt");
  const withTime = existsSync(TIME);
  const [cmd, argv] = withTime
    ? [TIME, ["-f", "%U %S %M", "-o", stats, process.execPath, ...args]]
    : [process.execPath, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - t0;
      clearTimeout(kill);
      if (code !== 0) return reject(new Error(`${args.join(" ")}: exit ${code}: ${err.trim()}`));
      if (!withTime) return resolve({ wallMs, cpuMs: undefined, rssMiB: undefined });
      const [user, sys, rssKiB] = readFileSync(stats, "utf8")
        .trim()
        .split("\n")
        .pop()!
        .split(" ")
        .map(Number);
      resolve({ wallMs, cpuMs: (user! + sys!) * 1000, rssMiB: rssKiB! / 1024 });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  execFileSync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: ROOT, stdio: "inherit" });
  // One warm-up of each (file cache), not counted.
  for (const c of CASES) await once(c.args);
  const samples = CASES.map(() => [] as Sample[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 1; i < CASES.length; i++) {
      // node -e 0 right before each command: the pair shares the machine's state.
      const base = await once(CASES[0]!.args);
      samples[0]!.push(base);
      samples[i]!.push(await once(CASES[i]!.args));
    }
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `${new Date().toISOString()}  ${ROUNDS} rounds  node ${process.version}  load average ${load}  (ms, medians)`,
  );
  console.log("| command | wall | excess over node -e 0 (per pair) | CPU (user+sys) | peak RSS |");
  console.log("|---|---|---|---|---|");
  for (let i = 0; i < CASES.length; i++) {
    const s = samples[i]!;
    const excess =
      i === 0
        ? "-"
        : `${median(s.map((x, k) => x.wallMs - samples[0]![k * (CASES.length - 1) + i - 1]!.wallMs)).toFixed(0)} ms`;
    const cpu = s[0]!.cpuMs === undefined ? "-" : `${median(s.map((x) => x.cpuMs!)).toFixed(0)} ms`;
    const rss = s[0]!.rssMiB === undefined ? "-" : `${median(s.map((x) => x.rssMiB!)).toFixed(1)} MiB`;
    console.log(
      `| ${CASES[i]!.name} | ${median(s.map((x) => x.wallMs)).toFixed(0)} ms | ${excess} | ${cpu} | ${rss} |`,
    );
  }
}

await main();
