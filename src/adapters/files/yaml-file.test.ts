import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ToolkitError } from "../../core/errors.js";
import { parseYamlDocuments, parseYamlText, readYamlFile } from "./yaml-file.js";

function failure(fn: () => unknown): ToolkitError {
  try {
    fn();
  } catch (e) {
    return e as ToolkitError;
  }
  throw new Error("expected a failure");
}

describe("yaml-file", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "yaml-file-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("names the line of a syntax error, in one line", () => {
    const e = failure(() => parseYamlText("a: [1, 2\nb: 3\n", "x.yaml"));
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.where).toBe("x.yaml:2");
    expect(e.message).toMatch(/^invalid YAML: Flow sequence/);
    expect(e.message).not.toMatch(/\n|at line/);
  });
  it("says so when a single-document file holds several documents", () => {
    const e = failure(() => parseYamlText("a: 1\n---\nb: 2\n", "x.yaml"));
    expect(e.oneLine()).toBe(
      "x.yaml:2: invalid YAML: the file holds several YAML documents (---); expected one",
    );
  });
  it("requires a mapping at the top level, and allows an empty file", () => {
    expect(failure(() => parseYamlText("\u0000\u0001garbage", "g.bin")).oneLine()).toBe(
      "g.bin: expected a YAML mapping at the top level, got a string (is this a YAML file?)",
    );
    expect(failure(() => parseYamlText("- 1\n- 2\n", "l.yaml")).message).toMatch(/got a list/);
    expect(parseYamlText("", "e.yaml")).toBeNull();
    expect(parseYamlText("a: 1\n", "a.yaml")).toEqual({ a: 1 });
  });
  it("rejects duplicate keys", () => {
    expect(failure(() => parseYamlText("a: 1\na: 2\n", "d.yaml")).where).toBe("d.yaml:2");
  });
  it("parses multi-document streams", () => {
    expect(parseYamlDocuments("a: 1\n---\n---\nb: 2\n", "m.yaml")).toEqual([{ a: 1 }, { b: 2 }]);
  });
  it("reads and validates a file; unreadable and empty files are input errors", async () => {
    const schema = z.strictObject({ a: z.number() });
    const good = join(dir, "good.yaml");
    await writeFile(good, "a: 1\n");
    expect(await readYamlFile(good, schema)).toEqual({ a: 1 });
    const empty = join(dir, "empty.yaml");
    await writeFile(empty, "");
    await expect(readYamlFile(empty, schema)).rejects.toThrow("file is empty");
    await expect(readYamlFile(join(dir, "missing.yaml"), schema)).rejects.toThrow(
      "cannot read file: no such file",
    );
    await expect(readYamlFile(dir, schema)).rejects.toThrow("cannot read file: is a directory");
  });
});
