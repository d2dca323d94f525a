import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { acceptSingleDashFlags, goBool, intFlag, normalizeSingleDashFlags } from "./vegeta-flags.js";

describe("vegeta-style single-dash flags", () => {
  it("rewrites known long names only, and nothing after --", () => {
    const names = new Set(["rate", "max-workers"]);
    expect(
      normalizeSingleDashFlags(
        ["-rate", "5/s", "-max-workers=3", "-o", "-x", "--rate", "1", "--", "-rate"],
        names,
      ),
    ).toEqual(["--rate", "5/s", "--max-workers=3", "-o", "-x", "--rate", "1", "--", "-rate"]);
  });
  it("lets commander parse -rate, -rate=, --rate and Go booleans", () => {
    const cmd = new Command("attack")
      .exitOverride()
      .option("--rate <r>", "", "50/1s")
      .option("--keepalive [bool]", "", goBool("-keepalive"), true)
      .option("--header <h>", "", (v: string, acc: string[]) => [...acc, v], [] as string[]);
    acceptSingleDashFlags(cmd);
    cmd.parse(["-rate=7/s", "-keepalive=false", "-header", "A: 1", "--header", "B: 2"], { from: "user" });
    expect(cmd.opts()).toEqual({ rate: "7/s", keepalive: false, header: ["A: 1", "B: 2"] });
  });
  it("rejects bad booleans and integers naming the flag", () => {
    expect(() => goBool("-http2")("maybe")).toThrow(/invalid boolean "maybe"/);
    expect(intFlag("-workers", 1, "3")).toBe(3);
    expect(() => intFlag("-workers", 1, "0")).toThrow(/want an integer >= 1/);
  });
});
