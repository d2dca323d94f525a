import { describe, expect, it } from "vitest";
import { upRunInfo } from "../../../test/support/up-run.js";
import {
  dashboardRoute,
  exportFileName,
  resumeIndex,
  sseComment,
  sseOpening,
  sseRecordFrame,
} from "./dashboard-http.js";
import type { UpEvent } from "./feed.js";

const info = upRunInfo({ startedAt: Date.UTC(2026, 11, 8, 1, 2, 3, 456) });

describe("dashboardRoute", () => {
  it("routes the three paths for GET and HEAD, ignoring the query string", () => {
    expect(dashboardRoute("GET", "/")).toEqual({ kind: "page" });
    expect(dashboardRoute("HEAD", "/?x=1")).toEqual({ kind: "page" });
    expect(dashboardRoute("GET", "/events")).toEqual({ kind: "events" });
    expect(dashboardRoute("GET", "/export?download=1#frag")).toEqual({ kind: "export" });
  });

  it("answers 404 for an unknown path before looking at the method, 405 with Allow otherwise", () => {
    expect(dashboardRoute("GET", "/events/")).toEqual({ kind: "not-found", path: "/events/" });
    expect(dashboardRoute("DELETE", "/nope")).toEqual({ kind: "not-found", path: "/nope" });
    expect(dashboardRoute("GET", "/__proto__")).toEqual({ kind: "not-found", path: "/__proto__" });
    expect(dashboardRoute("POST", "/export")).toEqual({ kind: "method-not-allowed", allow: "GET, HEAD" });
    expect(dashboardRoute(undefined, "/")).toEqual({ kind: "method-not-allowed", allow: "GET, HEAD" });
  });

  it("refuses a request target that is not a path", () => {
    expect(dashboardRoute("GET", "http://example.com/")).toMatchObject({ kind: "bad-request" });
    expect(dashboardRoute("GET", "*")).toMatchObject({ kind: "bad-request" });
    expect(dashboardRoute("GET", undefined)).toMatchObject({ kind: "bad-request" });
  });
});

describe("server-sent event frames", () => {
  const ev: UpEvent = {
    kind: "event",
    t: 1000,
    type: "Warning",
    reason: "PodCrashed",
    object: "pod/sample-app-2",
    message: "exit code 1\nrestarting",
  };

  it("frames a record with its feed position as id and its kind as event type, on one data line", () => {
    const frame = sseRecordFrame(ev, 7);
    expect(frame).toBe(`id: 7\nevent: event\ndata: ${JSON.stringify(ev)}\n\n`);
    expect(frame.split("\n").filter((l) => l.startsWith("data:"))).toHaveLength(1);
    expect(JSON.parse(frame.split("\n")[2]!.slice("data: ".length))).toEqual(ev);
  });

  it("opens with a retry delay and writes comments on one line", () => {
    expect(sseOpening()).toBe("retry: 2000\n\n");
    expect(sseComment("heartbeat")).toBe(": heartbeat\n\n");
    expect(sseComment("a\r\nb")).toBe(": a b\n\n");
  });
});

describe("resumeIndex", () => {
  it("resumes after the last id the browser has", () => {
    expect(resumeIndex(undefined, 10)).toBe(0);
    expect(resumeIndex("4", 10)).toBe(4);
    expect(resumeIndex(" 10 ", 10)).toBe(10);
    expect(resumeIndex(["3", "9"], 10)).toBe(3);
  });

  it("starts over for a malformed id or one beyond the history (a page of an earlier run)", () => {
    for (const bad of ["", "-1", "1.5", "abc", "1e3", "99999999999999999999"])
      expect(resumeIndex(bad, 10)).toBe(0);
    expect(resumeIndex("11", 10)).toBe(0);
  });
});

describe("exportFileName", () => {
  it("names the HPA and the start time in UTC with file-name-safe characters", () => {
    expect(exportFileName(info)).toBe("tidescale-up-default-sample-app-2026-12-08T010203Z.json");
    expect(exportFileName({ ...info, namespace: 'a/../"b', hpaName: "x y" })).toBe(
      "tidescale-up-a_.._b-x_y-2026-12-08T010203Z.json",
    );
    expect(exportFileName({ ...info, startedAt: Number.NaN })).toBe(
      "tidescale-up-default-sample-app-run.json",
    );
    expect(exportFileName({ ...info, startedAt: 1e300 })).toBe("tidescale-up-default-sample-app-run.json");
  });
});
