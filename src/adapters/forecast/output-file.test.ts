import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeOutputFile } from "./output-file.js";

const dir = mkdtempSync(join(tmpdir(), "tidescale-output-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("writeOutputFile", () => {
  it("writes the text", () => {
    const p = join(dir, "a.txt");
    writeOutputFile(p, "hello\n", "--output");
    expect(readFileSync(p, "utf8")).toBe("hello\n");
  });

  it("names the flag and the reason for a directory, a missing parent and a file used as a parent", () => {
    const file = join(dir, "f.txt");
    writeOutputFile(file, "x", "--output");
    const cases: Array<[string, string]> = [
      [dir, "is a directory"],
      [join(dir, "nope", "x.svg"), "no such directory"],
      [join(file, "x.svg"), "a parent is not a directory"],
    ];
    for (const [path, why] of cases) {
      let caught: unknown;
      try {
        writeOutputFile(path, "x", "--svg");
      } catch (e) {
        caught = e;
      }
      expect(caught).toMatchObject({
        code: "INVALID_INPUT",
        where: "--svg",
        message: `cannot write ${path}: ${why}`,
      });
    }
  });
});
