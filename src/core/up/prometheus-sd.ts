/**
 * What `tidescale up` tells Prometheus: the scrape config of the Prometheus it starts, and the file_sd
 * target list it rewrites as pods come and go (one target group per pod, labelled like a pod scraped by
 * kube-prometheus: `namespace`, `pod`, plus the pod labels the HPA's selector matches).
 */

/** One entry of a Prometheus file_sd JSON file. */
export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** A pod as a scrape target. */
export interface ScrapePod {
  name: string;
  ip: string;
}

/** The file_sd content for `pods` listening on `port` (draining pods stay until they stop). */
export function fileSdGroups(
  pods: readonly ScrapePod[],
  port: number,
  namespace: string,
  podLabels: Record<string, string>,
): FileSdGroup[] {
  return pods.map((p) => ({
    targets: [`${p.ip}:${port}`],
    labels: { ...podLabels, namespace, pod: p.name },
  }));
}

/** The file_sd JSON text (what Prometheus re-reads when the file changes). */
export function fileSdJson(groups: readonly FileSdGroup[]): string {
  return `${JSON.stringify(groups, null, 2)}\n`;
}

/**
 * The scrape job for the pods. `honor_labels: true` keeps the pods' own `namespace`/`pod` labels (the
 * sample app sets them from POD_NAMESPACE/POD_NAME; they equal the target labels), instead of renaming
 * them to `exported_*`. `refresh_interval` is the fallback when file change notifications are missed.
 */
export function podScrapeJob(sdFile: string, scrapeInterval: string): string {
  return (
    "  - job_name: tidescale-up\n" +
    "    honor_labels: true\n" +
    `    scrape_interval: ${scrapeInterval}\n` +
    `    scrape_timeout: ${scrapeInterval}\n` +
    "    file_sd_configs:\n" +
    `      - files: [${JSON.stringify(sdFile)}]\n` +
    "        refresh_interval: 5s\n"
  );
}

/** The whole config of the Prometheus that `tidescale up` starts. */
export function prometheusConfig(sdFile: string, scrapeInterval: string): string {
  return (
    "# Written by tidescale up: scrapes the local pods listed in the file_sd file.\n" +
    "global:\n" +
    `  scrape_interval: ${scrapeInterval}\n` +
    `  evaluation_interval: ${scrapeInterval}\n` +
    "scrape_configs:\n" +
    podScrapeJob(sdFile, scrapeInterval)
  );
}
