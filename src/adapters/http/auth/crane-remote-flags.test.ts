import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { ToolkitError } from "../../../core/errors.js";
import { type CraneRemoteFlags, remoteAdapterTarget } from "./crane-remote-flags.js";
import { addSecurityFlags, buildRemoteAdapter } from "./index.js";

/** Parses argv with the adapter's security flags, as `tidescale adapter` does. */
function parse(argv: string[]): CraneRemoteFlags {
  const cmd = addSecurityFlags(new Command("adapter")).exitOverride();
  cmd.parse(argv, { from: "user" });
  return cmd.opts<CraneRemoteFlags>();
}

function errorOf(f: () => unknown): ToolkitError {
  try {
    f();
  } catch (e) {
    if (e instanceof ToolkitError) return e;
    throw e;
  }
  throw new Error("expected a ToolkitError");
}

const crane = [
  "--remote-adapter-service-namespace",
  "monitoring",
  "--remote-adapter-service-name",
  "prometheus-adapter",
];

describe("Crane's --remote-adapter flags mapped to --remote-adapter namespace/name:port", () => {
  it.each([
    [
      ["--remote-adapter=true", ...crane, "--remote-adapter-service-port", "443"],
      "monitoring/prometheus-adapter:443",
    ],
    [
      ["--remote-adapter", ...crane, "--remote-adapter-service-port=8443"],
      "monitoring/prometheus-adapter:8443",
    ],
    // Crane's default port
    [["--remote-adapter=true", ...crane], "monitoring/prometheus-adapter:6443"],
    [
      ["--remote-adapter=true", "--remote-adapter-service-name=a", "--remote-adapter-service-namespace=b"],
      "b/a:6443",
    ],
    // tidescale's own spellings pass through
    [["--remote-adapter", "monitoring/prometheus-adapter:443"], "monitoring/prometheus-adapter:443"],
    [["--remote-adapter=https://127.0.0.1:6444"], "https://127.0.0.1:6444"],
    [["--remote-adapter=false"], undefined],
    [[], undefined],
  ])("%j -> %s", (argv, want) => {
    expect(remoteAdapterTarget(parse(argv))).toBe(want);
  });

  it.each([
    // incomplete
    [["--remote-adapter=true"], "--remote-adapter-service-name", "required with --remote-adapter=true"],
    [
      ["--remote-adapter=true", "--remote-adapter-service-name", "a"],
      "--remote-adapter-service-namespace",
      "required with --remote-adapter=true",
    ],
    [
      ["--remote-adapter=true", "--remote-adapter-service-namespace", "m", "--remote-adapter-service-name="],
      "--remote-adapter-service-name",
      "required",
    ],
    // Service flags without --remote-adapter=true (Crane would silently ignore them)
    [crane, "--remote-adapter-service-namespace", "needs --remote-adapter=true"],
    [
      ["--remote-adapter-service-port", "443"],
      "--remote-adapter-service-port",
      "needs --remote-adapter=true",
    ],
    [
      ["--remote-adapter=false", ...crane],
      "--remote-adapter-service-namespace",
      "needs --remote-adapter=true",
    ],
    // conflicting: two ways of naming the remote
    [
      ["--remote-adapter", "ns/other:443", ...crane],
      "--remote-adapter-service-namespace",
      "conflicts with --remote-adapter ns/other:443",
    ],
    [
      ["--remote-adapter=https://b:6444", "--remote-adapter-service-port=443"],
      "--remote-adapter-service-port",
      "conflicts",
    ],
    // invalid values, named by their flag
    [
      ["--remote-adapter=true", ...crane, "--remote-adapter-service-port", "0"],
      "--remote-adapter-service-port",
      'got "0"',
    ],
    [
      ["--remote-adapter=true", ...crane, "--remote-adapter-service-port", "70000"],
      "--remote-adapter-service-port",
      "1-65535",
    ],
    [
      ["--remote-adapter=true", ...crane, "--remote-adapter-service-port", "https"],
      "--remote-adapter-service-port",
      "1-65535",
    ],
    [
      [
        "--remote-adapter=true",
        "--remote-adapter-service-namespace",
        "Monitoring",
        "--remote-adapter-service-name",
        "a",
      ],
      "--remote-adapter-service-namespace",
      "RFC 1123 label",
    ],
    [
      [
        "--remote-adapter=true",
        "--remote-adapter-service-namespace",
        "m",
        "--remote-adapter-service-name",
        "1adapter",
      ],
      "--remote-adapter-service-name",
      "DNS-1035 label",
    ],
  ])("%j is refused naming %s", (argv, flag, message) => {
    const e = errorOf(() => remoteAdapterTarget(parse(argv)));
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.where).toBe(flag);
    expect(e.message).toContain(message);
  });

  it("builds the remote adapter from the Crane form: a Service reference needs a kubeconfig to resolve", async () => {
    // The mapped value reaches the Service-reference path of --remote-adapter (which needs the apiserver).
    const saved = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(buildRemoteAdapter(parse(["--remote-adapter=true", ...crane]))).rejects.toMatchObject({
        code: "INVALID_INPUT",
        where: "--remote-adapter",
        message:
          "Service reference monitoring/prometheus-adapter:6443 needs --kubeconfig (or in-cluster config) to be resolved",
      });
    } finally {
      if (saved !== undefined) process.env.KUBERNETES_SERVICE_HOST = saved;
    }
  });
});
