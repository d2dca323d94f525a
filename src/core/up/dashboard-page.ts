/**
 * The `tidescale up` dashboard page: one self-contained HTML document (uPlot and the client script
 * inlined, no request beyond its own server) used two ways: live, served by the dashboard and fed by
 * server-sent events, and recorded, written by `tidescale plot` from an export with the records inside.
 * Pure: the uPlot sources and the records come in as arguments.
 */
import { escapeHtml, inlineScript, jsonForScript } from "../html.js";
import { DASHBOARD_CLIENT_JS } from "./dashboard-client.js";
import type { UpRecord, UpRunInfo } from "./feed.js";

export interface UpPageOptions {
  info: UpRunInfo;
  title: string;
  uplotJs: string;
  uplotCss: string;
  /** A recorded run: draw these and connect to nothing. Without it the page follows `events` live. */
  records?: UpRecord[];
}

/** The page title when the user gives none. */
export const defaultUpTitle = (info: UpRunInfo): string => `tidescale up: ${info.namespace}/${info.hpaName}`;

/** The current-value cards: element id, label, unit. Their ids are the page's stable interface. */
export const NOW_CARDS: ReadonlyArray<readonly [id: string, label: string, unit: string]> = [
  ["offered-rps", "offered", "req/s"],
  ["served-rps", "served", "req/s"],
  ["errors", "errors", "last tick"],
  ["latency-p50", "latency p50", "ms"],
  ["latency-p99", "latency p99", "ms"],
  ["desired-replicas", "desired", "replicas"],
  ["current-replicas", "current", "replicas"],
  ["ready-replicas", "ready", "replicas"],
  ["metric-average", "metric per pod", "average"],
  ["metric-target", "target", "per pod"],
];

const CHARTS = ["chart-rate", "chart-metric", "chart-replicas", "chart-latency"];

const STYLE = `
body{font-family:system-ui,sans-serif;margin:16px;color:#212529}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:12px}
h1{font-size:20px;margin:0}
h2{font-size:16px;margin:20px 0 6px}
#run-info{color:#495057;font-size:13px}
#status{font-size:12px;padding:2px 8px;border-radius:10px;background:#e9ecef}
#status[data-state=live]{background:#d3f9d8;color:#2b8a3e}
#status[data-state=reconnecting],#status[data-state=disconnected]{background:#fff3bf;color:#e67700}
#now{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.card{border:1px solid #dee2e6;border-radius:6px;padding:6px 10px;min-width:96px}
.card .label{display:block;font-size:11px;color:#868e96;text-transform:uppercase}
.card .value{font-size:22px;font-variant-numeric:tabular-nums}
.card .unit{font-size:11px;color:#868e96;margin-left:4px}
#charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:12px}
#charts>div{min-width:0}
table{border-collapse:collapse;font-size:13px}
th,td{text-align:left;padding:3px 10px;border-bottom:1px solid #f1f3f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.phase-Ready{color:#2b8a3e}.phase-Starting{color:#1c7ed6}.phase-Draining{color:#e67700}
.type-Warning{color:#c92a2a;font-weight:600}
#events-box{max-height:320px;overflow:auto}
.hint{color:#868e96;font-size:12px}
`;

function header(o: UpPageOptions): string {
  const i = o.info;
  const facts = [
    i.mode === "control-plane" ? "control plane" : "local HPA engine",
    `hpa ${i.namespace}/${i.hpaName}`,
    `metric ${i.metricName}`,
    `replicas ${i.minReplicas}..${i.maxReplicas}`,
    `Prometheus ${i.prometheusUrl}`,
    `adapter ${i.adapterUrl}`,
  ];
  const exportLink =
    o.records === undefined
      ? `<a id="export" href="export" download>export the run (JSON)</a>`
      : `<span class="hint">recorded run: ${o.records.length} records</span>`;
  return `<header>
<h1>${escapeHtml(o.title)}</h1>
<span id="status" data-state="connecting">loading…</span>
${exportLink}
<span id="run-info">${facts.map(escapeHtml).join(" · ")}</span>
</header>`;
}

function nowCards(): string {
  const cards = NOW_CARDS.map(
    ([id, label, unit]) =>
      `<div class="card"><span class="label">${label}</span><span class="value" id="${id}" data-value="">–</span><span class="unit">${unit}</span></div>`,
  );
  return `<section id="now">${cards.join("")}</section>
<p class="hint">Values of the latest sample: <span id="sample-time" data-value="">–</span>. Dashed vertical lines mark events (orange: rescale, red: warning, violet: scenario phase).</p>`;
}

function tables(): string {
  return `<h2>Pods</h2>
<table id="pods" data-count="0"><thead><tr><th>pod</th><th>address</th><th>phase</th><th>metric</th></tr></thead><tbody></tbody></table>
<h2>Events</h2>
<div id="events-box"><table id="events"><thead><tr><th>time</th><th>type</th><th>reason</th><th>object</th><th>message</th></tr></thead><tbody></tbody></table></div>`;
}

/** Renders the whole page. */
export function renderUpPage(o: UpPageOptions): string {
  const boot = { info: o.info, live: o.records === undefined, records: o.records ?? [] };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(o.title)}</title>
<style>${o.uplotCss}
${STYLE}</style>
</head>
<body data-samples="0" data-events="0">
${header(o)}
${nowCards()}
<div id="charts">${CHARTS.map((id) => `<div id="${id}"></div>`).join("")}</div>
<p class="hint">Drag on a chart to zoom, double-click to reset; the cursor is shared by all charts.</p>
${tables()}
<script id="boot" type="application/json">${jsonForScript(boot)}</script>
<script>${inlineScript(o.uplotJs)}</script>
<script>${inlineScript(DASHBOARD_CLIENT_JS)}</script>
</body>
</html>
`;
}
