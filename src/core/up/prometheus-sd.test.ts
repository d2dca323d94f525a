import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fileSdGroups, fileSdJson, prometheusConfig } from "./prometheus-sd.js";

describe("Prometheus service discovery for tidescale up", () => {
  it("lists one target group per pod with namespace, pod and the pod labels", () => {
    const groups = fileSdGroups([{ name: "app-1", ip: "127.0.1.1" }], 8080, "default", { app: "app" });
    expect(JSON.parse(fileSdJson(groups))).toEqual([
      { targets: ["127.0.1.1:8080"], labels: { app: "app", namespace: "default", pod: "app-1" } },
    ]);
    expect(fileSdJson([])).toBe("[]\n");
  });

  it("writes a config that scrapes the file_sd file with the pods' own labels kept", () => {
    const config = parse(prometheusConfig("/tmp/x/targets.json", "2s"));
    expect(config.global.scrape_interval).toBe("2s");
    expect(config.scrape_configs).toEqual([
      {
        job_name: "tidescale-up",
        honor_labels: true,
        scrape_interval: "2s",
        scrape_timeout: "2s",
        file_sd_configs: [{ files: ["/tmp/x/targets.json"], refresh_interval: "5s" }],
      },
    ]);
  });
});
