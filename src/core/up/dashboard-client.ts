/**
 * The browser side of the `tidescale up` dashboard, as source text inlined into the page (plain
 * ES2020, without template literals or backslashes so it can live in this template string). It reads its boot data from
 * `<script id="boot" type="application/json">`: `{ info, live, records }`. Live pages follow `events`
 * (server-sent events, one record per event, ids = feed positions, so a reconnect resumes where it
 * stopped); a recorded page (`tidescale plot` of an export) draws `records` at once.
 *
 * What tests and benchmarks read from the DOM: every current value has an element with a stable id and a
 * raw `data-value` (empty when unknown); `body[data-samples]`, `body[data-events]`, `body[data-last-t]`,
 * `body[data-charted]` (samples handed to the charts);
 * `#status[data-state]` (connecting, live, reconnecting, disconnected, recorded); the first drawn chart
 * sets `body[data-first-chart-ms]` (performance.now(), ms since navigation start),
 * `body[data-first-chart-at]` and `window.__firstChartAt` (Unix ms).
 */
export const DASHBOARD_CLIENT_JS = `(function () {
  "use strict";
  var boot = JSON.parse(document.getElementById("boot").textContent);
  var info = boot.info;
  var body = document.body;
  var S = {
    xs: [], offered: [], served: [], errors: [], p50: [], p99: [],
    desired: [], current: [], ready: [], target: [], avg: [],
    pods: {}, podNames: [], events: [], samples: 0, lastId: 0
  };
  var charts = {};
  var podsChanged = false;
  var timer = null;
  var firstChart = false;
  var PALETTE = ["#0b7285", "#5f3dc4", "#e67700", "#2b8a3e", "#a61e4d", "#1864ab", "#5c940d", "#d9480f"];

  function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }
  function fixed(v, digits) { return v === null ? "–" : v.toFixed(digits); }
  function metricText(v) {
    if (v === null) return "–";
    var a = Math.abs(v);
    return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
  }
  function el(id) { return document.getElementById(id); }
  function setValue(id, v, text) {
    var e = el(id);
    e.textContent = text;
    e.setAttribute("data-value", v === null ? "" : String(v));
  }
  function setStatus(state, text) {
    var e = el("status");
    e.setAttribute("data-state", state);
    e.textContent = text;
  }
  function since(t) {
    var s = Math.round((t - info.startedAt) / 1000);
    var sign = s < 0 ? "-" : "+";
    s = Math.abs(s);
    var m = Math.floor(s / 60);
    return sign + (m > 0 ? m + "m" + String(s % 60).padStart(2, "0") + "s" : s + "s");
  }
  function clock(t) { return new Date(t).toLocaleTimeString(); }
  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function podAverage(pods) {
    var sum = 0, n = 0;
    pods.forEach(function (p) {
      var m = num(p.metric);
      if (m !== null) { sum += m; n++; }
    });
    return n > 0 ? sum / n : null;
  }

  function applySample(s) {
    var avg = podAverage(s.pods);
    S.xs.push(s.t / 1000);
    S.offered.push(num(s.offeredRps));
    S.served.push(num(s.servedRps));
    S.errors.push(num(s.errors));
    S.p50.push(num(s.latencyP50Ms));
    S.p99.push(num(s.latencyP99Ms));
    S.desired.push(num(s.desiredReplicas));
    S.current.push(num(s.currentReplicas));
    S.ready.push(num(s.readyReplicas));
    S.target.push(num(s.target));
    S.avg.push(avg);
    var now = {};
    s.pods.forEach(function (p) {
      now[p.name] = num(p.metric);
      if (!Object.prototype.hasOwnProperty.call(S.pods, p.name)) {
        S.pods[p.name] = new Array(S.xs.length - 1).fill(null);
        S.podNames.push(p.name);
        podsChanged = true;
      }
    });
    S.podNames.forEach(function (name) {
      S.pods[name].push(Object.prototype.hasOwnProperty.call(now, name) ? now[name] : null);
    });
    S.samples++;
    showNow(s, avg);
    showPods(s.pods);
    body.setAttribute("data-samples", String(S.samples));
    body.setAttribute("data-last-t", String(s.t));
    schedule();
  }

  function showNow(s, avg) {
    setValue("offered-rps", num(s.offeredRps), fixed(num(s.offeredRps), 1));
    setValue("served-rps", num(s.servedRps), fixed(num(s.servedRps), 1));
    setValue("errors", num(s.errors), fixed(num(s.errors), 0));
    setValue("latency-p50", num(s.latencyP50Ms), fixed(num(s.latencyP50Ms), 1));
    setValue("latency-p99", num(s.latencyP99Ms), fixed(num(s.latencyP99Ms), 1));
    setValue("desired-replicas", num(s.desiredReplicas), fixed(num(s.desiredReplicas), 0));
    setValue("current-replicas", num(s.currentReplicas), fixed(num(s.currentReplicas), 0));
    setValue("ready-replicas", num(s.readyReplicas), fixed(num(s.readyReplicas), 0));
    setValue("metric-average", avg, metricText(avg));
    setValue("metric-target", num(s.target), metricText(num(s.target)));
    setValue("sample-time", s.t, clock(s.t) + " (" + since(s.t) + ")");
  }

  function showPods(pods) {
    var tbody = el("pods").tBodies[0];
    var rows = document.createDocumentFragment();
    pods.forEach(function (p) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-pod", p.name);
      tr.setAttribute("data-phase", p.phase);
      cell(tr, p.name);
      cell(tr, p.ip);
      cell(tr, p.phase, "phase-" + p.phase);
      cell(tr, metricText(num(p.metric)), "num");
      rows.appendChild(tr);
    });
    tbody.replaceChildren(rows);
    el("pods").setAttribute("data-count", String(pods.length));
  }

  function applyEvent(e) {
    S.events.push(e);
    var tr = document.createElement("tr");
    tr.setAttribute("data-reason", e.reason);
    tr.setAttribute("data-type", e.type);
    tr.setAttribute("data-t", String(e.t));
    cell(tr, clock(e.t) + " (" + since(e.t) + ")");
    cell(tr, e.type, "type-" + e.type);
    cell(tr, e.reason);
    cell(tr, e.object);
    cell(tr, e.message);
    var tbody = el("events").tBodies[0];
    tbody.insertBefore(tr, tbody.firstChild);
    body.setAttribute("data-events", String(S.events.length));
    schedule();
  }

  function markerColor(e) {
    if (e.type === "Warning") return "#c92a2a";
    if (e.reason === "SuccessfulRescale") return "#e67700";
    if (e.reason === "ScenarioPhase") return "#5f3dc4";
    return "#adb5bd";
  }

  function eventMarkers() {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, b = u.bbox;
          ctx.save();
          ctx.lineWidth = Math.max(1, window.devicePixelRatio || 1);
          ctx.setLineDash([4, 3]);
          S.events.forEach(function (e) {
            var x = u.valToPos(e.t / 1000, "x", true);
            if (!(x >= b.left && x <= b.left + b.width)) return;
            ctx.strokeStyle = markerColor(e);
            ctx.beginPath();
            ctx.moveTo(x, b.top);
            ctx.lineTo(x, b.top + b.height);
            ctx.stroke();
          });
          ctx.restore();
        }]
      }
    };
  }

  function firstDraw() {
    return {
      hooks: {
        draw: [function () {
          if (firstChart) return;
          firstChart = true;
          var at = Date.now();
          window.__firstChartAt = at;
          body.setAttribute("data-first-chart-at", String(at));
          body.setAttribute("data-first-chart-ms", String(Math.round(performance.now())));
        }]
      }
    };
  }

  function line(label, stroke, extra) {
    var s = { label: label, stroke: stroke, width: 2, spanGaps: false };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }

  function size(id) {
    var w = el(id).clientWidth;
    return { width: Math.max(320, w), height: 240 };
  }

  function makeChart(id, title, yLabel, series, data, yRange) {
    var sz = size(id);
    var opts = {
      title: title,
      width: sz.width,
      height: sz.height,
      cursor: { sync: { key: "tidescale-up" } },
      scales: { x: { time: true }, y: yRange ? { range: yRange } : {} },
      axes: [{}, { label: yLabel }],
      series: [{ label: "time" }].concat(series),
      plugins: [eventMarkers(), firstDraw()]
    };
    var target = el(id);
    target.replaceChildren();
    return new uPlot(opts, data, target);
  }

  function zeroBased(u, min, max) { return [0, Math.max(1, max * 1.1)]; }
  function replicaRange(u, min, max) { return [0, Math.max(info.maxReplicas + 1, max + 1)]; }

  function metricData() {
    return [S.xs, S.target, S.avg].concat(S.podNames.map(function (n) { return S.pods[n]; }));
  }

  function metricChart() {
    var series = [
      line("target", "#c92a2a", { dash: [6, 4], width: 1.5 }),
      line("average per pod", "#1c7ed6", { width: 2.5 })
    ].concat(S.podNames.map(function (n, i) {
      return line(n, PALETTE[i % PALETTE.length], { width: 1 });
    }));
    if (charts.metric) charts.metric.destroy();
    charts.metric = makeChart("chart-metric", info.metricName + " per pod vs target", "per pod", series,
      metricData(), zeroBased);
  }

  function createCharts() {
    charts.rate = makeChart("chart-rate", "Request rate", "req/s", [
      line("offered", "#868e96"), line("served", "#2b8a3e"), line("errors", "#c92a2a", { width: 1 })
    ], [S.xs, S.offered, S.served, S.errors], zeroBased);
    var stepped = uPlot.paths.stepped({ align: 1 });
    charts.replicas = makeChart("chart-replicas", "Replicas", "pods", [
      line("desired", "#e67700", { paths: stepped, dash: [5, 3] }),
      line("current", "#1c7ed6", { paths: stepped }),
      line("ready", "#2b8a3e", { paths: stepped, width: 1.5 })
    ], [S.xs, S.desired, S.current, S.ready], replicaRange);
    charts.latency = makeChart("chart-latency", "Latency", "ms", [
      line("p50", "#1c7ed6"), line("p99", "#862e9c")
    ], [S.xs, S.p50, S.p99], zeroBased);
    metricChart();
    podsChanged = false;
  }

  function flush() {
    timer = null;
    if (S.xs.length === 0) return;
    if (!charts.rate) createCharts();
    else {
      charts.rate.setData([S.xs, S.offered, S.served, S.errors]);
      charts.replicas.setData([S.xs, S.desired, S.current, S.ready]);
      charts.latency.setData([S.xs, S.p50, S.p99]);
      if (podsChanged) { metricChart(); podsChanged = false; }
      else charts.metric.setData(metricData());
    }
    body.setAttribute("data-charted", String(S.xs.length));
  }

  function schedule() {
    if (timer === null) timer = setTimeout(flush, 100);
  }

  window.addEventListener("resize", function () {
    [["rate", "chart-rate"], ["metric", "chart-metric"], ["replicas", "chart-replicas"], ["latency", "chart-latency"]]
      .forEach(function (c) { if (charts[c[0]]) charts[c[0]].setSize(size(c[1])); });
  });

  function apply(record) {
    if (record && record.kind === "sample") applySample(record);
    else if (record && record.kind === "event") applyEvent(record);
  }

  function onMessage(m) {
    var id = Number(m.lastEventId);
    if (id > 0 && id <= S.lastId) return;
    if (id > 0) S.lastId = id;
    var record;
    try { record = JSON.parse(m.data); } catch (err) { return; }
    apply(record);
  }

  if (boot.live) {
    setStatus("connecting", "connecting…");
    var es = new EventSource("events");
    es.onopen = function () { setStatus("live", "live"); };
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED) setStatus("disconnected", "disconnected: showing the run so far");
      else setStatus("reconnecting", "reconnecting… (showing the run so far)");
    };
    es.addEventListener("sample", onMessage);
    es.addEventListener("event", onMessage);
  } else {
    (boot.records || []).forEach(apply);
    setStatus("recorded", "recorded run");
    flush();
  }
})();
`;
