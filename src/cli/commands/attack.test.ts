import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";

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
    [["-targets", join(dir, "missing.txt")], /^error: -targets: cannot read .*missing\.txt: no such file/],
    [
      ["-targets", file("b.txt", "POST http://127.0.0.1:9/\n@nope.json\n")],
      /^error: .*b\.txt: @nope\.json: cannot read nope\.json: no such file/,
    ],
  ])("%j", async (args, message) => {
    const r = await captureMain(["attack", ...args]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
  });
});

describe("attack end to end on loopback (in-process CLI, targets files)", () => {
  it("sends json and http targets in turn with default headers, own headers, bodies and the attack name", async () => {
    const { createServer } = await import("node:http");
    const { readFileSync } = await import("node:fs");
    const seen: Array<{
      method: string | undefined;
      url: string | undefined;
      h: Record<string, unknown>;
      body: string;
    }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        seen.push({ method: req.method, url: req.url, h: req.headers, body });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const dir = mkdtempSync(join(tmpdir(), "tidescale-attack-e2e-"));
    try {
      const jsonTargets = join(dir, "t.json");
      writeFileSync(
        jsonTargets,
        `{"method":"POST","url":"${base}/a","body":"aGk=","header":{"X-Default":["own"]}}\n{"method":"GET","url":"${base}/b"}\n`,
      );
      const out = join(dir, "r.jsonl");
      const r = await captureMain([
        "attack",
        "-targets",
        jsonTargets,
        "-format",
        "json",
        "-rate",
        "40/s",
        "-duration",
        "100ms",
        "-header",
        "X-Default: 1",
        "-name",
        "n1",
        "-output",
        out,
      ]);
      expect(r).toMatchObject({ code: 0, err: "" });
      const results = readFileSync(out, "utf8")
        .trimEnd()
        .split("\n")
        .map(
          (l) =>
            JSON.parse(l) as { seq: number; url: string; attack: string; code: number; bytes_out: number },
        );
      expect(results.map((x) => [x.seq, x.url, x.attack, x.code, x.bytes_out]).sort()).toEqual([
        [0, `${base}/a`, "n1", 200, 2],
        [1, `${base}/b`, "n1", 200, 0],
        [2, `${base}/a`, "n1", 200, 2],
        [3, `${base}/b`, "n1", 200, 0],
      ]);
      const a = seen.find((s) => s.url === "/a")!;
      expect(a).toMatchObject({ method: "POST", body: "hi" });
      expect(a.h["x-default"]).toBe("own");
      expect(a.h["x-vegeta-attack"]).toBe("n1");
      expect(seen.find((s) => s.url === "/b")!.h["x-default"]).toBe("1");

      // http format with an @body file, relative to the working directory as in vegeta.
      writeFileSync(join(dir, "body.txt"), "from-file");
      const httpTargets = join(dir, "t.txt");
      writeFileSync(httpTargets, `PUT ${base}/c\nContent-Type: text/plain\n@${join(dir, "body.txt")}\n`);
      const r2 = await captureMain([
        "attack",
        "-targets",
        httpTargets,
        "-rate",
        "10/s",
        "-duration",
        "100ms",
        "-output",
        out,
      ]);
      expect(r2).toMatchObject({ code: 0, err: "" });
      expect(seen.at(-1)).toMatchObject({ method: "PUT", url: "/c", body: "from-file" });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
