import { describe, expect, it } from "vitest";
import type { AttackResult } from "../../core/loadgen/result.js";
import { ProgressLine } from "./progress.js";

const result = (code: number, latencyMs: number, over: Partial<AttackResult> = {}): AttackResult => ({
  attack: "",
  seq: 0,
  code,
  timestamp: { sec: 0, nsec: 0 },
  latency: latencyMs * 1e6,
  bytesOut: 0,
  bytesIn: 0,
  error: "",
  body: null,
  method: "GET",
  url: "http://127.0.0.1/",
  headers: null,
  lateness: 0,
  dropped: false,
  ...over,
});

describe("progress line", () => {
  it("shows done, success ratio, p99 from the intended time, in-flight and dropped, ending with a newline", () => {
    const out: string[] = [];
    const p = new ProgressLine(
      (s) => out.push(s),
      () => 4,
    );
    p.record(result(200, 10));
    p.record(result(503, 1, { lateness: 50e6 }));
    p.record(result(200, 20));
    p.record(result(0, 0, { dropped: true }));
    p.stop();
    const line = out.at(-1)!;
    expect(line.startsWith("\r\x1b[2K")).toBe(true);
    expect(line.endsWith("\n")).toBe(true);
    expect(line).toMatch(
      /done 3 {2}success 66\.67% {2}p99 51(\.\d+)?ms \(from intended\) {2}in-flight 1 {2}dropped 1\n$/,
    );
  });
});
