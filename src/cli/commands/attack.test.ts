import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../program.js";

/** Runs the CLI in-process and captures stderr and the exit code (stdout is not expected). */
async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: unknown) => {
    err += String(s);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args), err };
  } finally {
    process.stderr.write = orig;
  }
}

describe("attack rejects bad input before sending anything (exit 2, one line)", () => {
  const dir = mkdtempSync(join(tmpdir(), "tidescale-attack-"));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  // Port 9 (discard) on loopback: nothing is sent because every case fails while parsing.
  const good = file("good.txt", "GET http://127.0.0.1:9/\n");
  it.each([
    [["-targets", file("m1.txt", "GET\n")], /^error: .*m1\.txt:1: malformed target line "GET"/],
    [
      ["-targets", file("m2.txt", "GET http://127.0.0.1:9/\nnot a header\n")],
      /^error: .*m2\.txt:2: malformed header line/,
    ],
    [["-targets", file("u1.txt", "GET 127.0.0.1:9/\n")], /^error: .*u1\.txt:1: invalid URL "127.0.0.1:9\/"/],
    [
      ["-targets", file("u2.txt", "GET ftp://127.0.0.1/\n")],
      /^error: .*u2\.txt:1: invalid URL .*scheme must be http or https/,
    ],
    [
      ["-targets", file("j.json", '{"method":"GET","url":"http://127.0.0.1:9/","x":1}\n'), "-format", "json"],
      /^error: .*j\.json:1: x: unknown field/,
    ],
    [["-targets", good, "-rate", "fast"], /^error: -rate: invalid rate "fast"/],
    [["-targets", good, "--rate", "10/lightyear"], /^error: -rate: invalid rate "10\/lightyear"/],
    [["-targets", good, "-rate", "0"], /^error: -rate: rate 0 .* needs -max-workers/],
    [["-targets", good, "-duration", "10"], /^error: -duration: invalid duration "10"/],
    [["-targets", good, "-duration=-5s"], /^error: -duration: duration must not be negative/],
    [["-targets", good, "-timeout", "soon"], /^error: -timeout: invalid duration "soon"/],
    [["-targets", good, "-max-workers", "0"], /^error: -max-workers: want an integer >= 1/],
    [["-targets", good, "-format", "yaml"], /^error: -format: want http or json/],
    [["-targets", good, "-header", "nocolon"], /^error: -header: invalid header "nocolon"/],
    [["-targets", good, "-keepalive=maybe"], /^error: -keepalive: invalid boolean "maybe"/],
    [["-targets", join(dir, "missing.txt")], /^error: -targets: cannot read ".*missing\.txt": no such file/],
    [
      ["-targets", file("b.txt", "POST http://127.0.0.1:9/\n@nope.json\n")],
      /^error: .*b\.txt: @nope\.json: cannot read "nope\.json": no such file/,
    ],
  ])("%j", async (args, message) => {
    const r = await run(["attack", ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });
});
