import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidescale-doctor-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("tidescale doctor: bad input is refused before any request (exit 2)", () => {
  const prom = ["--prometheus-url", "http://127.0.0.1:9"];
  it.each([
    [["--hpa", "web"], "error: --hpa: needs --namespace"],
    [["-n", "Shop"], 'error: --namespace: "Shop": '],
    [["-n", "quiet", "-o", "yaml"], 'error: --output: want text or json, got "yaml"'],
    [
      ["--prometheus-url", "localhost:9090"],
      'error: --prometheus-url: want an http(s) URL, got "localhost:9090"',
    ],
    [["--rules", "rules.yaml"], "error: --rules: needs --prometheus-url"],
    [["--rules-configmap", "tidescale", ...prom], "error: --rules-configmap: want NAMESPACE/NAME[:KEY]"],
    [["--rules-configmap", "Tide/x", ...prom], 'error: --rules-configmap: "Tide/x": '],
    [
      ["--rules", "a.yaml", "--rules-configmap", "a/b", ...prom],
      "error: --rules: give --rules or --rules-configmap",
    ],
    [["--metrics-max-age", "ten", ...prom], "error: --metrics-max-age: "],
  ])("%j", async (args, message) => {
    const r = await captureMain(["doctor", "--kubeconfig", join(dir, "none"), ...args]);
    expect(r.err).toContain(message);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.code).toBe(2);
  });

  it("a --rules file with an invalid rule names the file and the field", async () => {
    const file = join(dir, "rules.yaml");
    await writeFile(file, "rules:\n  - seriesQuery: 'up'\n    resources: {template: 5}\n");
    const r = await captureMain([
      "doctor",
      "--kubeconfig",
      join(dir, "none"),
      "--rules",
      file,
      "--prometheus-url",
      "http://127.0.0.1:9",
    ]);
    expect(r.err).toMatch(
      new RegExp(
        `^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: rules\\[0\\]\\.resources\\.template`,
      ),
    );
    expect(r.code).toBe(2);
  });

  it("--help has runnable examples", async () => {
    const r = await captureMain(["doctor", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      "\nExamples:\n  tidescale doctor --kubeconfig ~/.kube/config -n shop --hpa web\n",
    );
  });
});
