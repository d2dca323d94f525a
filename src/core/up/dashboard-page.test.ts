import { describe, expect, it } from "vitest";
import { upRunInfo } from "../../../test/support/up-run.js";
import { jsonForScript } from "../html.js";
import { NOW_CARDS, renderUpPage } from "./dashboard-page.js";
import type { UpRecord, UpRunInfo } from "./feed.js";

const info = upRunInfo({ mode: "control-plane" });
const uplot = { uplotJs: "window.uPlot = function () {};", uplotCss: ".u-legend{}" };

/** The boot data the page hands its script, parsed back. */
function bootOf(html: string): { info: UpRunInfo; live: boolean; records: UpRecord[] } {
  const m = /<script id="boot" type="application\/json">(.*?)<\/script>/s.exec(html);
  return JSON.parse(m![1]!);
}

describe("renderUpPage", () => {
  it("is one self-contained document: uPlot and the client inlined, no external resource", () => {
    const html = renderUpPage({ info, title: "run", ...uplot });
    expect(html).toContain("<script>window.uPlot = function () {};</script>");
    expect(html).toContain(".u-legend{}");
    expect(html).toContain('new EventSource("events")');
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
    expect(html).toContain('<link rel="icon" href="data:,">');
  });

  it("has an element with a stable id and an empty data-value for every current value", () => {
    const html = renderUpPage({ info, title: "run", ...uplot });
    for (const [id] of NOW_CARDS) expect(html).toContain(`id="${id}" data-value=""`);
    for (const id of [
      "current-replicas",
      "desired-replicas",
      "ready-replicas",
      "served-rps",
      "offered-rps",
    ]) {
      expect(NOW_CARDS.map(([i]) => i)).toContain(id);
    }
    expect(html).toMatch(/<table id="pods"/);
    expect(html).toMatch(/<table id="events"/);
  });

  it("is live with an export link without records, and recorded with them", () => {
    const live = renderUpPage({ info, title: "run", ...uplot });
    expect(bootOf(live)).toEqual({ info, live: true, records: [] });
    expect(live).toContain('<a id="export" href="export" download>');

    const records: UpRecord[] = [
      { kind: "event", t: 5, type: "Normal", reason: "ScenarioPhase", object: "load", message: "go" },
    ];
    const recorded = renderUpPage({ info, title: "run", ...uplot, records });
    expect(bootOf(recorded)).toEqual({ info, live: false, records });
    expect(recorded).not.toContain('id="export"');
    expect(recorded).toContain("recorded run: 1 records");
  });

  it("escapes names and messages: markup stays text, no script element ends early", () => {
    const hostile = { ...info, namespace: "</script><script>alert(1)</script>", hpaName: '"><img src=x>' };
    const records: UpRecord[] = [
      { kind: "event", t: 1, type: "Warning", reason: "X", object: "o", message: "</script><!-- \u2028" },
    ];
    const html = renderUpPage({ info: hostile, title: "<b>t</b>", ...uplot, records });
    expect(html.match(/<\/script>/g)).toHaveLength(3); // boot, uPlot, client
    expect(html).not.toContain("<img");
    expect(html).toContain("<title>&lt;b&gt;t&lt;/b&gt;</title>");
    expect(bootOf(html)).toEqual({ info: hostile, live: false, records });
  });
});

describe("jsonForScript", () => {
  it("stays JSON that parses back to the value, without < or line separators", () => {
    const value = { s: "</script><!--\u2028\u2029", n: [1, 2.5] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
