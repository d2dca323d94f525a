import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ToolkitError } from "../../core/errors.js";
import { customKey } from "../../core/metrics/registry.js";
import type { PrometheusClient } from "./client.js";
import { AdapterState, loadConfigFile, relist } from "./discovery.js";

const rule = (series: string, as: string) => `
  - seriesQuery: '${series}'
    resources: { template: "<<.Resource>>" }
    name: { matches: "^(.*)_total$", as: "${as}" }
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)'`;

// In-memory series answers (the e2e test runs the same code against the real Prometheus).
function fakeProm(
  answers: Record<string, Array<Record<string, string>> | Error>,
  seen: string[] = [],
): PrometheusClient {
  return {
    async series(matchers, start) {
      seen.push(`${matchers.join(",")}@${start}`);
      const a = answers[matchers[0]!];
      if (a instanceof Error) throw a;
      return a ?? [];
    },
    query: async () => ({ resultType: "vector", result: [] }),
    queryRange: async () => [],
    close: async () => {},
  };
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("relist", () => {
  it("asks each distinct seriesQuery once with start = now - max age, and keeps going when one fails", async () => {
    dir = mkdtempSync(join(tmpdir(), "tidescale-discovery-"));
    const f = join(dir, "rules.yaml");
    writeFileSync(
      f,
      `rules:${rule("a_total", "${1}_qps")}${rule("a_total", "${1}_other")}${rule("b_total", "${1}_qps")}\n`,
    );
    const cfg = await loadConfigFile(f);
    const seen: string[] = [];
    const client = fakeProm(
      {
        a_total: [{ __name__: "a_total", namespace: "n", pod: "p" }],
        b_total: new ToolkitError("INVALID_INPUT", "prometheus /api/v1/series", "bad_data: boom"),
      },
      seen,
    );
    const r = await relist(client, cfg, { nowMs: 1_000_000, maxAgeMs: 60_000 });
    expect(seen.sort()).toEqual(["a_total@940", "b_total@940"]);
    expect(r.failures).toEqual(new Map([["b_total", "prometheus /api/v1/series: bad_data: boom"]]));
    expect(r.registry.custom.has(customKey("pods", true, "a_qps"))).toBe(true);
    expect(r.registry.custom.has(customKey("pods", true, "a_other"))).toBe(true);
    expect(r.registry.diagnostics[2]!.error).toBe("prometheus /api/v1/series: bad_data: boom");
  });

  it("names the file, rule and field of a bad config", async () => {
    dir = mkdtempSync(join(tmpdir(), "tidescale-discovery-"));
    const f = join(dir, "bad.yaml");
    writeFileSync(f, `rules:${rule("a_total", "$1_qps")}\n`);
    const e = (await loadConfigFile(f).catch((x: unknown) => x)) as ToolkitError;
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.oneLine()).toMatch(
      new RegExp(`^${f}: rules\\[0\\]\\.name\\.as: "\\$1_qps" refers to group "1_qps"`),
    );
  });
});

describe("AdapterState reload", () => {
  it("keeps the old config on a bad file and takes a good one", async () => {
    dir = mkdtempSync(join(tmpdir(), "tidescale-discovery-"));
    const f = join(dir, "rules.yaml");
    writeFileSync(f, `rules:${rule("a_total", "${1}_qps")}\n`);
    const logs: string[] = [];
    const log = {
      info: (_o: object, m: string) => void logs.push(`info ${m}`),
      warn: (_o: object, m: string) => void logs.push(`warn ${m}`),
      error: (_o: object, m: string) => void logs.push(`error ${m}`),
    };
    const reloads: boolean[] = [];
    const state = new AdapterState({
      client: fakeProm({ a_total: [{ __name__: "a_total", namespace: "n", pod: "p" }] }),
      configFile: f,
      config: await loadConfigFile(f),
      relistIntervalMs: 3_600_000,
      maxAgeMs: 3_600_000,
      watchIntervalMs: 3_600_000,
      log,
      onReload: (ok) => reloads.push(ok),
    });
    await state.start();
    expect(state.relisted).toBe(true);
    expect(state.registry.custom.has(customKey("pods", true, "a_qps"))).toBe(true);

    writeFileSync(f, "rules:\n  - seriesQuery: x\n    metricsQuery: '<<.Nope>>'\n");
    expect(await state.reload()).toBe(false);
    expect(
      logs.some(
        (l) =>
          l.startsWith("error config reload rejected") &&
          l.includes("rules[0].metricsQuery: template: can't evaluate field Nope"),
      ),
    ).toBe(true);
    expect(state.config.rules[0]!.name.as).toBe("${1}_qps");

    writeFileSync(f, `rules:${rule("a_total", "${1}_per_second")}\n`);
    expect(await state.reload()).toBe(true);
    expect(state.registry.custom.has(customKey("pods", true, "a_per_second"))).toBe(true);
    expect(state.registry.custom.has(customKey("pods", true, "a_qps"))).toBe(false);
    expect(reloads).toEqual([false, true]);
    state.close();
  });
});
