import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalPod } from "../../core/up/pods.js";
import { type ServiceProxy, startServiceProxy } from "./service-proxy.js";

const servers: Server[] = [];
let proxy: ServiceProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A pod: answers its own name after `delayMs`; all pods share one port on their own address. */
async function podServer(ip: string, port: number, delayMs: number): Promise<number> {
  const s = createServer((_req, res) => setTimeout(() => res.end(ip), delayMs));
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, ip, r));
  return (s.address() as AddressInfo).port;
}

const pod = (ordinal: number, phase: LocalPod["phase"]): LocalPod => ({
  name: `app-${ordinal}`,
  ordinal,
  ip: `127.0.1.${200 + ordinal}`,
  phase,
  createdAt: 0,
  restarts: 0,
});

describe("the local Service proxy", () => {
  it("balances over Ready pods only, answers 503 without one, and tells when a drained pod is idle", async () => {
    const port = await podServer("127.0.1.201", 0, 0);
    await podServer("127.0.1.202", port, 300);
    await podServer("127.0.1.203", port, 0);
    proxy = await startServiceProxy("127.0.0.1", 0, port);
    const get = async () => {
      const res = await fetch(`${proxy!.url}/`);
      return `${res.status} ${await res.text()}`;
    };
    expect(await get()).toBe("503 no ready endpoints\n");

    proxy.update([pod(1, "Ready"), pod(2, "Ready"), pod(3, "Starting")]);
    const answers = await Promise.all([get(), get(), get(), get()]);
    expect(answers.sort()).toEqual([
      "200 127.0.1.201",
      "200 127.0.1.201",
      "200 127.0.1.202",
      "200 127.0.1.202",
    ]);

    // app-2 answers after 300 ms: drain it while a request is in flight there.
    const slow = Promise.all([get(), get()]);
    await new Promise((r) => setTimeout(r, 50));
    proxy.update([pod(1, "Ready"), pod(2, "Draining"), pod(3, "Ready")]);
    let idle = false;
    const drained = proxy.idle("app-2").then(() => {
      idle = true;
    });
    expect(await get()).not.toBe("200 127.0.1.202");
    expect(idle).toBe(false);
    await drained;
    expect((await slow).sort()).toEqual(["200 127.0.1.201", "200 127.0.1.202"]);
    await expect(proxy.idle("app-1")).resolves.toBeUndefined();
  });
});
