/**
 * The dashboard server on loopback, spoken to over plain HTTP: routes and status codes, the event stream
 * (history, live records, resume from Last-Event-ID, heartbeats, many clients, disconnects), the export,
 * a port in use, and close(). The page in a browser is test/e2e/up-dashboard.test.ts.
 */
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { upRunInfo, upSample } from "../../../test/support/up-run.js";
import type { UpRecord, UpSample } from "../../core/up/feed.js";
import { UpFeed } from "../../core/up/feed.js";
import { type Dashboard, startDashboard } from "./dashboard.js";

const info = upRunInfo();
const uplot = { js: "window.uPlot = function () {};", css: "" };

const sample = (t: number, current: number): UpSample =>
  upSample(t, [], { desiredReplicas: current, currentReplicas: current, readyReplicas: current });

const open: Dashboard[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

async function start(feed: UpFeed, heartbeatMs = 60_000): Promise<Dashboard> {
  const d = await startDashboard(feed, { host: "127.0.0.1", port: 0, heartbeatMs, uplot });
  open.push(d);
  return d;
}

/** An open event stream: the text received so far, and a way to wait for some of it. */
interface Stream {
  text: () => string;
  until: (re: RegExp) => Promise<string>;
  ended: Promise<void>;
  abort: () => void;
}

function stream(url: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    let text = "";
    const waiters: Array<() => void> = [];
    const req = request(`${url}events`, { headers }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
        for (const w of waiters.splice(0)) w();
      });
      const ended = new Promise<void>((r) => res.on("close", () => r()));
      resolve({
        text: () => text,
        ended,
        abort: () => req.destroy(),
        until: (re) =>
          new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`stream never matched ${re}: ${text}`)), 10_000);
            const check = () => {
              if (re.test(text)) {
                clearTimeout(timer);
                ok(text);
              } else waiters.push(check);
            };
            check();
          }),
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The records of a stream's text, with their ids. */
function frames(text: string): Array<{ id: number; event: string; record: UpRecord }> {
  return text
    .split("\n\n")
    .filter((f) => f.startsWith("id: "))
    .map((f) => {
      const [id, event, data] = f.split("\n");
      return {
        id: Number(id!.slice(4)),
        event: event!.slice(7),
        record: JSON.parse(data!.slice(6)) as UpRecord,
      };
    });
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("startDashboard", () => {
  it("serves the page, the export as an attachment, 404 and 405", async () => {
    const feed = new UpFeed(info);
    feed.publish(sample(1000, 1));
    const d = await start(feed);
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await fetch(d.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("<title>tidescale up: default/sample-app</title>");

    const exp = await fetch(`${d.url}export?x=1`);
    expect(exp.headers.get("content-disposition")).toBe(
      'attachment; filename="tidescale-up-default-sample-app-1970-01-01T000000Z.json"',
    );
    expect(await exp.json()).toEqual(feed.export());

    const missing = await fetch(`${d.url}index.html`);
    expect(missing.status).toBe(404);
    const post = await fetch(d.url, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("streams the history, then live records, to many clients; resumes after Last-Event-ID", async () => {
    const feed = new UpFeed(info);
    feed.publish(sample(1000, 1));
    feed.publish({
      kind: "event",
      t: 1000,
      type: "Normal",
      reason: "PodReady",
      object: "pod/a",
      message: "ok",
    });
    const d = await start(feed);
    const a = await stream(d.url);
    const b = await stream(d.url, { "last-event-id": "1" });
    await a.until(/^id: 2$/m);
    await b.until(/^id: 2$/m);
    await waitFor("two streams", () => d.streams() === 2);

    feed.publish(sample(2000, 3));
    await a.until(/^id: 3$/m);
    await b.until(/^id: 3$/m);
    expect(a.text().startsWith("retry: 2000\n\n")).toBe(true);
    expect(frames(a.text()).map((f) => [f.id, f.event])).toEqual([
      [1, "sample"],
      [2, "event"],
      [3, "sample"],
    ]);
    expect(frames(a.text()).map((f) => f.record)).toEqual(feed.history());
    expect(frames(b.text()).map((f) => f.id)).toEqual([2, 3]);

    a.abort();
    await waitFor("the aborted stream is dropped", () => d.streams() === 1);
    feed.publish(sample(3000, 4));
    await b.until(/^id: 4$/m);
  });

  it("sends heartbeat comments on idle streams", async () => {
    const d = await start(new UpFeed(info), 50);
    const s = await stream(d.url);
    await s.until(/^: heartbeat$/m);
  });

  it("drops a client that stops reading instead of buffering without bound", async () => {
    const feed = new UpFeed(info);
    const d = await startDashboard(feed, {
      host: "127.0.0.1",
      port: 0,
      uplot,
      heartbeatMs: 60_000,
      maxBufferedBytes: 64 * 1024,
    });
    open.push(d);
    const url = new URL(d.url);
    const socket = connect(Number(url.port), url.hostname);
    socket.write(`GET /events HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`);
    await waitFor("stream open", () => d.streams() === 1);
    socket.pause(); // stops reading: the kernel's buffers fill, then the server's
    const pods = Array.from({ length: 400 }, (_, i) => ({
      name: `sample-app-${i}`,
      ip: "127.0.1.1",
      phase: "Ready" as const,
    }));
    let t = 0;
    for (let batch = 0; batch < 200 && d.streams() === 1; batch++) {
      for (let i = 0; i < 20; i++) feed.publish({ ...sample(++t, 1), pods });
      await new Promise((r) => setImmediate(r));
    }
    expect(d.streams()).toBe(0);
    socket.destroy();
  });

  it("rejects a port in use with an error naming the address and the flag", async () => {
    const d = await start(new UpFeed(info));
    const port = Number(new URL(d.url).port);
    await expect(
      startDashboard(new UpFeed(info), { host: "127.0.0.1", port, flag: "--dashboard-port", uplot }),
    ).rejects.toMatchObject({
      code: "UNAVAILABLE",
      where: "--dashboard-port",
      message: `cannot listen on 127.0.0.1:${port}: port ${port} is already in use`,
    });
  });

  it("close() ends open streams and frees the port", async () => {
    const feed = new UpFeed(info);
    const d = await start(feed);
    const port = Number(new URL(d.url).port);
    const s = await stream(d.url);
    await waitFor("stream open", () => d.streams() === 1);
    await d.close();
    await s.ended;
    expect(d.streams()).toBe(0);
    await d.close(); // idempotent
    feed.publish(sample(1000, 1)); // no subscriber left to write to a closed stream
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once("error", reject);
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve()));
    });
  });
});
