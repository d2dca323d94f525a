import { describe, expect, it } from "vitest";
import { upPod, upRunInfo, upSample } from "../../../test/support/up-run.js";
import { looksLikeUpExport, parseUpExport } from "./export-file.js";
import { UpFeed, type UpRunInfo } from "./feed.js";

const info = upRunInfo({ startedAt: 1000 });

function run(): UpFeed {
  const feed = new UpFeed(info);
  feed.publish({
    kind: "event",
    t: 1000,
    type: "Normal",
    reason: "ScenarioPhase",
    object: "load",
    message: "go",
  });
  feed.publish(
    upSample(2000, [upPod(1, "Ready", 239)], {
      offeredRps: 240,
      servedRps: 239,
      errors: 1,
      latencyP50Ms: 2,
      desiredReplicas: 2,
    }),
  );
  return feed;
}

describe("looksLikeUpExport", () => {
  it("recognises an export by its apiVersion, compact or indented, any version", () => {
    const exp = run().export();
    expect(looksLikeUpExport(JSON.stringify(exp))).toBe(true);
    expect(looksLikeUpExport(JSON.stringify(exp, null, 2).slice(0, 100))).toBe(true);
    expect(looksLikeUpExport('{"info":{},"apiVersion":"tidescale.dev/up/v9"}')).toBe(true);
  });

  it("does not take attack results for an export, even with the words inside a string", () => {
    expect(looksLikeUpExport('{"attack":"","seq":0,"code":200,"timestamp":"2026-01-01T00:00:00Z"}\n')).toBe(
      false,
    );
    expect(looksLikeUpExport('{"attack":"x","error":"{\\"apiVersion\\":\\"tidescale.dev/up/v1\\"}"}')).toBe(
      false,
    );
    expect(looksLikeUpExport("attack,seq\n")).toBe(false);
    expect(looksLikeUpExport("")).toBe(false);
  });
});

describe("parseUpExport", () => {
  it("round-trips the feed's export", () => {
    const exp = run().export();
    expect(parseUpExport(JSON.stringify(exp), "run.json")).toEqual(exp);
  });

  it("ignores fields a later version of the same apiVersion adds", () => {
    const exp = { ...run().export(), extra: 1 };
    expect(parseUpExport(JSON.stringify(exp), "run.json")).toEqual(run().export());
  });

  it("names the file and the field of a bad value", () => {
    const exp = JSON.parse(JSON.stringify(run().export()));
    exp.records[1].servedRps = -1;
    expect(() => parseUpExport(JSON.stringify(exp), "run.json")).toThrow(
      expect.objectContaining({ where: "run.json: records[1].servedRps", code: "INVALID_INPUT" }),
    );
    exp.records[1].servedRps = 1;
    exp.records[1].pods[0].phase = "Running";
    expect(() => parseUpExport(JSON.stringify(exp), "run.json")).toThrow(
      expect.objectContaining({ where: "run.json: records[1].pods[0].phase" }),
    );
  });

  it("refuses records out of time order, another apiVersion, and text that is not JSON", () => {
    const exp = JSON.parse(JSON.stringify(run().export()));
    exp.records[1].t = 500;
    expect(() => parseUpExport(JSON.stringify(exp), "run.json")).toThrow(
      expect.objectContaining({ where: "run.json: records[1].t" }),
    );
    expect(() => parseUpExport('{"apiVersion":"tidescale.dev/up/v2"}', "run.json")).toThrow(
      expect.objectContaining({
        where: "run.json: apiVersion",
        message: expect.stringContaining("tidescale.dev/up/v1"),
      }),
    );
    expect(() => parseUpExport('{"apiVersion":', "run.json")).toThrow(
      expect.objectContaining({ where: "run.json", code: "INVALID_INPUT" }),
    );
  });
});
