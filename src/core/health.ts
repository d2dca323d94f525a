/**
 * Health endpoints of a long-running process (the controllers' /healthz, /livez, /readyz), in
 * kube-apiserver's verbose format: one line per check, `[+]name ok` or `[-]name failed: why`, then
 * `<endpoint> check passed` (200) or `<endpoint> check failed` (503). A check may be informational
 * (`ok` true with a detail), e.g. the leader-election state, so probes and people see it without it
 * deciding readiness: a standby replica is ready, it just does not write.
 *
 * Also the same state as Prometheus gauges for an optional /metrics. Pure: the caller passes the state.
 */

/** One named check. */
export interface HealthCheck {
  name: string;
  ok: boolean;
  /** Why it failed, or what it found (shown after `ok:`). */
  detail?: string;
}

/** The answer of a health endpoint. */
export interface HealthAnswer {
  status: 200 | 503;
  body: string;
}

/** `/healthz`, `/livez` or `/readyz` over `checks` (200 when every check is ok). */
export function healthAnswer(endpoint: string, checks: readonly HealthCheck[]): HealthAnswer {
  const lines = checks.map((c) =>
    c.ok
      ? `[+]${c.name} ok${c.detail ? `: ${c.detail}` : ""}`
      : `[-]${c.name} failed${c.detail ? `: ${c.detail}` : ""}`,
  );
  const ok = checks.every((c) => c.ok);
  lines.push(`${endpoint} check ${ok ? "passed" : "failed"}`);
  return { status: ok ? 200 : 503, body: `${lines.join("\n")}\n` };
}

/** The state of a controller's caches and leader election. */
export interface ControllerHealthState {
  /** Resource (plural) → whether its informer finished its first list; undefined before they start. */
  informers: ReadonlyArray<{ resource: string; synced: boolean }> | undefined;
  /** Undefined when leader election is off (every replica writes). */
  leaderElection?: { identity: string; leading: boolean; holder: string | undefined };
}

/** One check per informer (not synced → not ready) plus the leader-election state (informational). */
export function controllerReadiness(s: ControllerHealthState): HealthCheck[] {
  const checks: HealthCheck[] =
    s.informers === undefined
      ? [{ name: "informers", ok: false, detail: "not started (waiting for the API server)" }]
      : s.informers.map((i) =>
          i.synced
            ? { name: `informer-${i.resource}`, ok: true }
            : { name: `informer-${i.resource}`, ok: false, detail: "first list not finished" },
        );
  checks.push({ name: "leader-election", ok: true, detail: leaderText(s.leaderElection) });
  return checks;
}

function leaderText(l: ControllerHealthState["leaderElection"]): string {
  if (!l) return "off (this replica writes)";
  if (l.leading) return `leading as ${l.identity}`;
  return l.holder
    ? `standby (${l.identity}); the leader is ${l.holder}`
    : `standby (${l.identity}); no leader seen yet`;
}

/** The same state as Prometheus text-format gauges. */
export function controllerHealthMetrics(s: ControllerHealthState, component: string): string {
  const name = (m: string) => `${component}_${m}`;
  const leading = s.leaderElection ? (s.leaderElection.leading ? 1 : 0) : 1;
  const out = [
    `# HELP ${name("leader")} 1 when this replica may write (it holds the Lease, or leader election is off).`,
    `# TYPE ${name("leader")} gauge`,
    `${name("leader")} ${leading}`,
    `# HELP ${name("informer_synced")} 1 when the informer of the resource finished its first list.`,
    `# TYPE ${name("informer_synced")} gauge`,
  ];
  for (const i of s.informers ?? [])
    out.push(`${name("informer_synced")}{resource="${i.resource}"} ${i.synced ? 1 : 0}`);
  return `${out.join("\n")}\n`;
}
