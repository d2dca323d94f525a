/**
 * `promtool check config` on every Prometheus configuration shipped in deploy/ (a YAML file with
 * `scrape_configs`). Debian's promtool is built without Kubernetes service discovery, so it refuses
 * `kubernetes_sd_configs` as an unknown field. When (and only when) that is its complaint, the file is
 * checked again with each `kubernetes_sd_configs` replaced by an empty `static_configs`: everything else
 * in the job (relabel_configs with their regexes and actions, honor_labels, intervals) is still checked
 * by promtool. A promtool with Kubernetes discovery checks the file as it is.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { REPO_ROOT, runCommand } from "../support/cli.js";

const PROMTOOL = "/usr/bin/promtool";
const NO_KUBERNETES_SD = "field kubernetes_sd_configs not found in type config.ScrapeConfig";

type Obj = Record<string, unknown>;

/** YAML files under `dir` whose document has `scrape_configs` (Prometheus configurations). */
function prometheusConfigs(dir: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) found.push(...prometheusConfigs(path));
    else if (/\.ya?ml$/.test(e.name) && readFileSync(path, "utf8").includes("scrape_configs:")) {
      const doc = parseYaml(readFileSync(path, "utf8")) as Obj | null;
      if (doc && Array.isArray(doc.scrape_configs)) found.push(path);
    }
  }
  return found.sort();
}

/** The config with each job's kubernetes_sd_configs replaced by an empty static_configs. */
function withoutKubernetesSd(config: Obj): { config: Obj; replaced: number } {
  let replaced = 0;
  const jobs = (config.scrape_configs as Obj[]).map((job) => {
    if (!("kubernetes_sd_configs" in job)) return job;
    replaced++;
    const { kubernetes_sd_configs: _dropped, ...rest } = job;
    return { ...rest, static_configs: [{ targets: [] }] };
  });
  return { config: { ...config, scrape_configs: jobs }, replaced };
}

const work = mkdtempSync(join(tmpdir(), "tidescale-promtool-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = prometheusConfigs(join(REPO_ROOT, "deploy"));

describe("promtool check config on the Prometheus configurations in deploy/", () => {
  it("finds them (deploy/examples/prometheus-scrape.yaml at least)", () => {
    expect(files.map((f) => relative(REPO_ROOT, f))).toContain("deploy/examples/prometheus-scrape.yaml");
  });

  it.each(files.map((f) => [relative(REPO_ROOT, f), f]))("%s passes promtool", async (_name, file) => {
    const asIs = await runCommand([PROMTOOL, "check", "config", file]);
    if (asIs.code === 0) return;
    // Only the missing discovery of this promtool build may make the file fail as it is.
    expect(asIs.out + asIs.err).toContain(NO_KUBERNETES_SD);
    const { config, replaced } = withoutKubernetesSd(parseYaml(readFileSync(file, "utf8")) as Obj);
    expect(replaced).toBeGreaterThan(0);
    const copy = join(work, `${replaced}-${relative(REPO_ROOT, file).replaceAll("/", "_")}`);
    writeFileSync(copy, stringify(config));
    const checked = await runCommand([PROMTOOL, "check", "config", copy]);
    expect(checked.code, checked.out + checked.err).toBe(0);
    expect(checked.out).toContain("SUCCESS");
  });

  it("would catch a broken relabel rule in the shipped jobs (the substitute keeps them)", async () => {
    const file = join(REPO_ROOT, "deploy/examples/prometheus-scrape.yaml");
    const { config } = withoutKubernetesSd(parseYaml(readFileSync(file, "utf8")) as Obj);
    const job = (config.scrape_configs as Obj[])[0] as { relabel_configs: Obj[] };
    job.relabel_configs[0] = { ...job.relabel_configs[0], regex: "sample-app(" };
    const copy = join(work, "broken.yaml");
    writeFileSync(copy, stringify(config));
    const checked = await runCommand([PROMTOOL, "check", "config", copy]);
    expect(checked.code).not.toBe(0);
    expect(checked.out + checked.err).toContain("error parsing regexp");
  });
});
