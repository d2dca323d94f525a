import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { captureMain, REPO_ROOT, runCommand } from "../../test/support/cli.js";
import { COMMANDS } from "./registry.js";
import { editDistance, nearest } from "./suggest.js";

describe("tidescale program", () => {
  it("exits 2 on an unknown option, with one line", async () => {
    const r = await captureMain(["--no-such-flag"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: unknown option '--no-such-flag' (see --help)\n");
  });

  it.each([
    [["sample-ap"], "sample-ap", "sample-app"],
    [["hpaa", "--help"], "hpaa", "hpa"],
    [["atack"], "atack", "attack"],
    [["--debug", "sim", "x.yaml"], "sim", "simulate"],
    [["help", "forcast"], "forcast", "forecast"],
  ])(
    "%j is an unknown command: exit 2, one line, the nearest command suggested",
    async (args, name, guess) => {
      const r = await captureMain(args);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toBe(`error: unknown command '${name}' (did you mean '${guess}'? see --help)\n`);
    },
  );

  it("the top-level help lists every command on one line with its summary", async () => {
    const r = await captureMain(["--help"]);
    expect(r.code).toBe(0);
    const listed = r.out
      .slice(r.out.indexOf("\nCommands:\n") + 11)
      .trimEnd()
      .split("\n");
    expect(listed.map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ...COMMANDS.map((c) => [c.name, c.summary]),
      ["help [command]", "display help for command"],
    ]);
    for (const l of r.out.split("\n")) expect(l.length).toBeLessThanOrEqual(80);
  });

  it("every command group lists its subcommands with one short line each", async () => {
    const program = new Command("tidescale");
    for (const c of COMMANDS) {
      expect(c.summary).toMatch(/^[^\n]{1,60}$/);
      (await c.load()).register(program);
    }
    const groups = program.commands.filter((c) => c.commands.length > 0);
    expect(groups.map((g) => g.name())).toContain("hpa");
    for (const group of groups)
      for (const sub of group.commands) expect(sub.summary() || sub.description()).toMatch(/^[^\n]{1,60}$/);
  });

  it("`help <command>` is `<command> --help`", async () => {
    const viaHelp = await captureMain(["help", "report"]);
    const viaFlag = await captureMain(["report", "--help"]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toContain("Usage: tidescale report");
    expect(viaHelp.out).toBe(viaFlag.out);
  });

  it("loads only the libraries the command uses", async () => {
    // Records every package module a child process resolves (ES module hooks), per command line.
    const hook =
      "data:text/javascript," +
      encodeURIComponent(
        `import { register } from "node:module"; register("data:text/javascript," + encodeURIComponent(` +
          "`export async function resolve(s, c, n) { const r = await n(s, c); " +
          `if (r.url.includes("/node_modules/")) console.error("loaded " + r.url); return r; }\`));`,
      );
    const packages = async (args: string[]): Promise<string[]> => {
      const r = await runCommand(
        [process.execPath, "--import", hook, "--import", "tsx", `${REPO_ROOT}/src/cli/main.ts`, ...args],
        { timeoutMs: 30_000 },
      );
      expect(r.code).toBe(0);
      const names = new Set<string>();
      for (const m of r.err.matchAll(/^loaded .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)) names.add(m[1]!);
      // tsx (which runs the sources) and its esbuild are not the program's.
      return [...names].filter((n) => n !== "tsx" && n !== "esbuild" && !n.startsWith("@esbuild")).sort();
    };
    expect(await packages(["--version"])).toEqual(["commander"]);
    expect(await packages(["report", "--help"])).toEqual(["commander"]);
    expect(await packages(["attack", "--help"])).toEqual(["commander"]);
    expect(await packages(["hpa", "explain", "examples/explain-snapshot.yaml"])).not.toContain(
      "@kubernetes/client-node",
    );
  }, 120_000);
});

describe("nearest command", () => {
  it("prefers a prefix, then the fewest edits (a swap is one)", () => {
    expect(nearest("sim", ["hpa", "simulate"])).toBe("simulate");
    expect(nearest("atatck", ["attack", "report"])).toBe("attack");
    expect(editDistance("attack", "atatck")).toBe(1);
    expect(editDistance("atack", "attack")).toBe(1);
    expect(editDistance("taack", "attack")).toBe(2);
    expect(nearest("x", [])).toBeUndefined();
  });
});
