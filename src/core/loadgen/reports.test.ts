import { describe, expect, it } from "vitest";
import type { ToolkitError } from "../errors.js";
import { buildHistogram, parseBuckets, renderHistogram } from "./histogram.js";
import { lttb } from "./lttb.js";
import { computeMetrics } from "./metrics.js";
import { alignSeries, plotSeries, renderPlotHtml } from "./plot-html.js";
import { renderHdrPlot } from "./report-hdrplot.js";
import { jsonReport } from "./report-json.js";
import { renderTextReport } from "./report-text.js";
import type { AttackResult } from "./result.js";
import { layoutTabs } from "./tab-layout.js";

/** The one-line form (`where: what`) of the error `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as ToolkitError).oneLine();
  }
  return "(no error)";
}

function result(i: number, over: Partial<AttackResult> = {}): AttackResult {
  return {
    attack: "",
    seq: i,
    code: 200,
    timestamp: { sec: 1_795_838_400 + Math.floor(i / 10), nsec: (i % 10) * 100_000_000 },
    latency: (i + 1) * 1_000_000,
    bytesOut: 0,
    bytesIn: 3,
    error: "",
    body: null,
    method: "GET",
    url: "http://127.0.0.1/",
    headers: null,
    lateness: 0,
    dropped: false,
    ...over,
  };
}

describe("metrics (vegeta field meanings)", () => {
  // 10 requests at 10/s over 0.9 s; latencies 1..10 ms; two 503s; one dropped.
  const results = Array.from({ length: 10 }, (_, i) =>
    result(i, i >= 8 ? { code: 503, error: "503 Service Unavailable", lateness: 2_000_000 } : {}),
  );
  results.push(result(10, { dropped: true, code: 0, latency: 0, error: "dropped" }));
  const m = computeMetrics(results);
  it("counts requests, rate over N-1 intervals and throughput including the wait", () => {
    expect(m.requests).toBe(10);
    expect(m.duration).toBe(900_000_000);
    // end = max(ts + latency) = 0.9 s + 10 ms; wait = 10 ms
    expect(m.wait).toBe(10_000_000);
    expect(m.rate).toBeCloseTo(10 / 0.9, 10);
    expect(m.throughput).toBeCloseTo(8 / 0.91, 10);
    expect(m.success).toBe(0.8);
  });
  it("computes exact nearest-rank latency percentiles and truncated mean", () => {
    expect(m.latencies).toEqual({
      total: 55_000_000,
      mean: 5_500_000,
      min: 1_000_000,
      max: 10_000_000,
      p50: 5_000_000,
      p90: 9_000_000,
      p95: 10_000_000,
      p99: 10_000_000,
    });
  });
  it("keeps dropped requests out of vegeta's fields but counts them, with lateness and intended latency", () => {
    expect(m.scheduled).toBe(11);
    expect(m.dropped).toBe(1);
    expect(m.statusCodes).toEqual({ "200": 8, "503": 2 });
    expect(m.errors).toEqual(["503 Service Unavailable"]);
    expect(m.lateness.max).toBe(2_000_000);
    expect(m.intended.max).toBe(12_000_000);
    expect(m.bytesIn).toEqual({ total: 30, mean: 3 });
  });
  it("is all zeros for no results", () => {
    const e = computeMetrics([]);
    expect(e.requests).toBe(0);
    expect(e.rate).toBe(0);
    expect(jsonReport(e).earliest).toBe("0001-01-01T00:00:00Z");
    expect(jsonReport(e).errors).toEqual([]);
  });
});

describe("dropped requests", () => {
  it("count a dropped record's count, and stay out of the latency figures", () => {
    const m = computeMetrics([
      result(0),
      result(1, { dropped: true, code: 0, latency: 0, count: 998 }),
      result(2, { dropped: true, code: 0, latency: 0 }),
    ]);
    expect(m.requests).toBe(1);
    expect(m.dropped).toBe(999);
    expect(m.scheduled).toBe(1000);
  });
});

describe("closed model", () => {
  it("is labelled in the text and json reports", () => {
    const closed = computeMetrics([result(0, { closed: true }), result(1, { closed: true })]);
    expect(closed.model).toBe("closed");
    expect(renderTextReport(closed)).toContain(
      "Schedule      [intended, sent, dropped]         2, 2, 0  (closed model, -rate 0: no schedule, so no lateness)\n",
    );
    expect(jsonReport(closed).model).toBe("closed");
    expect(computeMetrics([result(0, { closed: true }), result(1)]).model).toBe("mixed");
    expect(computeMetrics([result(0)]).model).toBe("open");
  });
});

describe("tab layout (Go tabwriter subset)", () => {
  it("aligns column blocks and leaves the last cell unpadded", () => {
    expect(layoutTabs("a\tbb\tx\nccc\td\ty  \nend\n")).toBe("a    bb  x\nccc  d   y  \nend\n");
    expect(layoutTabs("a\tb\nno tabs\nlonger\tc\n")).toBe("a  b\nno tabs\nlonger  c\n");
  });
});

describe("text report", () => {
  it("has vegeta's lines and ours", () => {
    const text = renderTextReport(
      computeMetrics([result(0), result(1, { code: 0, error: "connection refused", latency: 500 })]),
    );
    const lines = text.split("\n");
    expect(lines[0]).toBe("Requests      [total, rate, throughput]         2, 20.00, 10.00");
    expect(lines[2]).toBe(
      "Latencies     [min, mean, 50, 90, 95, 99, max]  500ns, 500.25µs, 500ns, 1ms, 1ms, 1ms, 1ms",
    );
    expect(lines[6]).toBe("Status Codes  [code:count]                      0:1  200:1  ");
    expect(lines[7]).toBe("Error Set:");
    expect(lines[8]).toBe("connection refused");
    expect(lines[10]).toBe("Schedule      [intended, sent, dropped]         2, 2, 0");
  });
});

describe("histogram", () => {
  it("parses buckets, adding 0 in front", () => {
    expect(parseBuckets("[1ms,5ms]", "-type")).toEqual([0, 1_000_000, 5_000_000]);
    expect(parseBuckets("[0,100us]", "-type")).toEqual([0, 100_000]);
    expect(thrown(() => parseBuckets("[5ms,1ms]", "-type"))).toMatch(/strictly increasing/);
    expect(thrown(() => parseBuckets("[fast]", "-type"))).toMatch(/invalid bucket bound "fast"/);
    expect(thrown(() => parseBuckets("1ms", "-type"))).toMatch(/invalid buckets/);
  });
  it("counts [lo, hi) with +Inf last and renders vegeta's table", () => {
    const h = buildHistogram([0, 2_000_000, 4_000_000], [0, 1_999_999, 2_000_000, 3_000_000, 9_000_000]);
    expect(h.counts).toEqual([2, 2, 1]);
    expect(renderHistogram(h)).toBe(
      "Bucket         #  %       Histogram\n" +
        "[0s,    2ms]   2  40.00%  ##############################\n" +
        "[2ms,   4ms]   2  40.00%  ##############################\n" +
        "[4ms,   +Inf]  1  20.00%  ###############\n",
    );
  });
});

describe("hdrplot", () => {
  it("prints 94 quantile rows ending at 1.0 with the 10,000,000 marker", () => {
    const m = computeMetrics(Array.from({ length: 100 }, (_, i) => result(i)));
    const rows = renderHdrPlot(m.distributions.latency).trimEnd().split("\n");
    expect(rows).toHaveLength(95);
    expect(rows[0]).toMatch(/^Value\(ms\)\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)$/);
    expect(rows[1]!.split(/\s+/)).toEqual(["1.000000", "0.000000", "0", "1.000000"]);
    expect(rows[94]!.split(/\s+/)).toEqual(["100.000000", "1.000000", "100", "10000000.000000"]);
  });
});

describe("lttb and plot", () => {
  it("keeps the ends and the peaks", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((x) => (x === 500 ? 100 : 1));
    const d = lttb(xs, ys, 50);
    expect(d.x).toHaveLength(50);
    expect(d.x[0]).toBe(0);
    expect(d.x[49]).toBe(999);
    expect(d.y).toContain(100);
    expect(lttb([1, 2], [3, 4], 10)).toEqual({ x: [1, 2], y: [3, 4] });
  });
  it("splits OK and ERROR series per attack and aligns them", () => {
    const rs = [result(0), result(1, { error: "x", code: 0 }), result(2, { attack: "b" })];
    const s = plotSeries(rs, 100);
    expect(s.map((x) => x.label)).toEqual(["ERROR", "OK", "b: OK"]);
    expect(alignSeries(s)).toEqual([
      [0, 0.1, 0.2],
      [null, 2, null],
      [1, null, null],
      [null, null, 3],
    ]);
    const html = renderPlotHtml(rs, { title: "A <b>", threshold: 100, uplotJs: "/*u*/", uplotCss: ".u{}" });
    expect(html).toContain("<title>A &lt;b&gt;</title>");
    expect(html).toContain("/*u*/");
  });
});
