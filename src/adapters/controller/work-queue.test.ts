import { describe, expect, it } from "vitest";
import { WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  it("coalesces duplicate keys and never runs one key twice at once", async () => {
    const runs: string[] = [];
    let concurrentA = 0;
    let maxConcurrentA = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const q = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (key === "a") {
          concurrentA++;
          maxConcurrentA = Math.max(maxConcurrentA, concurrentA);
          await gate;
          concurrentA--;
        }
      },
      { concurrency: 1 },
    );
    q.add("a"); // runs and blocks the one worker
    q.add("b");
    q.add("b"); // still waiting: coalesced
    q.add("a"); // in flight: runs again once, afterwards
    q.add("a");
    release();
    await q.idle();
    expect(runs.filter((k) => k === "b")).toHaveLength(1);
    expect(runs.filter((k) => k === "a")).toHaveLength(2);
    expect(maxConcurrentA).toBe(1);
  });

  it("retries a failing key with backoff until it succeeds", async () => {
    let attempts = 0;
    const errors: string[] = [];
    const q = new WorkQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`fail ${attempts}`);
      },
      { concurrency: 1, baseDelayMs: 1, onError: (_k, e) => errors.push((e as Error).message) },
    );
    q.add("x");
    const deadline = Date.now() + 5000;
    while (attempts < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(attempts).toBe(3);
    expect(errors).toEqual(["fail 1", "fail 2"]);
    q.stop();
  });
});
