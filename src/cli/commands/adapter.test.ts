import { describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";

describe("tidescale adapter --config", () => {
  it("is required: without it (and without --empty-config) one error line naming the flag, exit 2", async () => {
    const r = await captureMain(["adapter", "--insecure-dev", "--secure-port", "0"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.trimEnd().split("\n")).toEqual([
      "error: --config: required: a rules file (prometheus-adapter format); give --empty-config to serve every API empty on purpose",
    ]);
  });

  it("--empty-config and --config together are refused, exit 2", async () => {
    const r = await captureMain([
      "adapter",
      "--config",
      "examples/rules.yaml",
      "--empty-config",
      "--insecure-dev",
    ]);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd()).toBe("error: --empty-config: cannot be combined with --config");
  });

  it("--empty-config alone gets past the config check (here to the listen step, which fails)", async () => {
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: listen fails with exit 1, after the config.
    const r = await captureMain([
      "adapter",
      "--empty-config",
      "--insecure-dev",
      "--bind-address",
      "192.0.2.1",
      "--secure-port",
      "0",
      "--log-level",
      "error",
    ]);
    expect(r.code).toBe(1);
    expect(r.err.trimEnd()).toMatch(
      /^error: --secure-port: cannot listen on 192\.0\.2\.1:0: .*EADDRNOTAVAIL/,
    );
  });

  it("--help documents --empty-config", async () => {
    const r = await captureMain(["adapter", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("--config <file>");
    expect(r.out).toContain("--empty-config");
  });
});
