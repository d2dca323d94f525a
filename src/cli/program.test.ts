import { describe, expect, it } from "vitest";
import { main } from "./program.js";

describe("tidescale program", () => {
  it("exits 2 on an unknown command or option", async () => {
    const errors: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => {
      errors.push(String(s));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main(["no-such-command"])).toBe(2);
      expect(await main(["--no-such-flag"])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(errors.join("")).toBe(
      "error: unknown command 'no-such-command' (see --help)\nerror: unknown option '--no-such-flag' (see --help)\n",
    );
  });
});
