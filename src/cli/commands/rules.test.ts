import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMain } from "../../../test/support/cli.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tidescale-rules-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("tidescale rules", () => {
  it("the group's --help has a runnable example", async () => {
    const r = await captureMain(["rules", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\nExample:\n {2}tidescale rules test --config examples\/rules\.yaml /);
  });

  it("a binary --config file is one error line naming the file, exit 2", async () => {
    const file = join(dir, "garbage.bin");
    await writeFile(
      file,
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe, 0x41, 0x0a]),
    );
    const r = await captureMain([
      "rules",
      "test",
      "--config",
      file,
      "--prometheus-url",
      "http://127.0.0.1:9",
    ]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.trimEnd().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
    expect(r.err).toContain(": expected a YAML mapping at the top level");
  });
});
