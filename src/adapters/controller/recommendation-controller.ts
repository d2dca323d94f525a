/**
 * The RecommendationRule controller's I/O loop around the pure decisions of core/recommend-rule:
 *
 * - informers (watch caches) on RecommendationRules, on the Recommendations tidescale manages (label
 *   `app.kubernetes.io/managed-by=tidescale`), and on Deployments and StatefulSets; a rule event queues
 *   the rule, a Recommendation event queues its owning rule (a deleted one is recreated), a workload
 *   event queues every rule (rules are few; an unchanged plan writes nothing);
 * - one reconcile per rule at a time (work queue): select the targets, create / update / delete the
 *   Recommendation objects as the plan says, run the recommenders when the run is due (or for objects
 *   not computed yet), write each Recommendation's status, the rule's status (only when it changed) and
 *   Events on the rule; then a timer queues the rule again when its next run is due;
 * - only the leader (when leader election is on) writes; followers keep their caches warm.
 */
import type { RecommendPolicy } from "../../core/recommend/index.js";
import {
  desiredRecommendations,
  planRecommendations,
  type RecommendationPlan,
} from "../../core/recommend-rule/objects.js";
import { failedOutcomes } from "../../core/recommend-rule/outcomes.js";
import { computed, runSchedule } from "../../core/recommend-rule/schedule.js";
import { observedRuleStatus, type Rule, validateRule } from "../../core/recommend-rule/spec.js";
import {
  type RecommenderOutcome,
  type RuleReconcileSummary,
  recommendationStatus,
  ruleStatus,
  ruleStatusChanged,
} from "../../core/recommend-rule/status.js";
import { selectTargets } from "../../core/recommend-rule/targets.js";
import {
  ANALYSIS_API_VERSION,
  type DesiredRecommendation,
  LABELS,
  MANAGED_BY,
  type ObservedRecommendation,
  RECOMMENDATION_KIND,
  type RecommenderRef,
  type RecommenderType,
  RULE_KIND,
  type RuleStatus,
  type Target,
  type Workload,
} from "../../core/recommend-rule/types.js";
import {
  apiMessage,
  apiStatus,
  createObject,
  type Gvr,
  getObject,
  type HpaVersion,
  hpaGvr,
  type KubeClients,
  type KubeObject,
  replaceObject,
  replaceStatus,
} from "../kube/client.js";
import type { EventRecorder } from "../kube/events.js";
import { startInformer, type WatchCache } from "../kube/informer.js";
import type { ControllerLog } from "./ehpa-controller.js";
import { WorkQueue } from "./work-queue.js";

export const RULE_GVR: Gvr = {
  group: "analysis.tidescale.dev",
  version: "v1alpha1",
  plural: "recommendationrules",
};
export const RECOMMENDATION_GVR: Gvr = {
  group: "analysis.tidescale.dev",
  version: "v1alpha1",
  plural: "recommendations",
};
const WORKLOAD_GVRS: Gvr[] = [
  { group: "apps", version: "v1", plural: "deployments" },
  { group: "apps", version: "v1", plural: "statefulsets" },
];
const WORKLOAD_KIND_OF: Record<string, string> = { deployments: "Deployment", statefulsets: "StatefulSet" };

/** What one recommender call gets: the target, its workload and HPAs from the caches, the rule's policy. */
export interface RecommendInput {
  target: Target;
  /** The Deployment or StatefulSet as the watch cache holds it. */
  workload: KubeObject;
  /** The HPAs of the target's namespace (the recommender picks the one targeting the workload). */
  hpas: readonly KubeObject[];
  types: readonly RecommenderType[];
  policy: RecommendPolicy;
}

/**
 * Computes the recommendations of `types` for one target. Never throws: a failure to read the data is
 * a `failed` outcome per type.
 */
export type RecommendTarget = (
  input: RecommendInput,
) => Promise<ReadonlyMap<RecommenderType, RecommenderOutcome>>;

export interface RecommendationControllerOptions {
  clients: KubeClients;
  recorder: EventRecorder;
  log: ControllerLog;
  canWrite: () => boolean;
  recommend: RecommendTarget;
  hpaVersion: HpaVersion;
  /** Targets computed in parallel within one rule. */
  concurrency: number;
  /** Retry delay after a run with failed recommenders (capped by the rule's runInterval). */
  retryMs: number;
  now?: () => number;
}

interface Caches {
  rules: WatchCache<KubeObject>;
  recommendations: WatchCache<KubeObject>;
  workloads: WatchCache<KubeObject>[];
  hpas: WatchCache<KubeObject>;
}

/** The rule that controls a Recommendation (its controller owner reference). */
function ownerRule(o: KubeObject): string | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller && r.kind === RULE_KIND)?.name;
}

function workloadOf(gvr: Gvr, o: KubeObject): Workload {
  return {
    apiVersion: "apps/v1",
    kind: WORKLOAD_KIND_OF[gvr.plural] ?? "",
    namespace: o.metadata.namespace ?? "",
    name: o.metadata.name,
    labels: o.metadata.labels ?? {},
    ...(o.metadata.deletionTimestamp ? { deleting: true } : {}),
  };
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class RecommendationController {
  private caches?: Caches;
  private readonly queue: WorkQueue;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;
  /** Recommendations whose status this process wrote (the cache may not show it yet). */
  private readonly written = new Set<string>();
  /** Each rule's last run in this process (the cache may not show the status written for it yet). */
  private readonly lastRun = new Map<string, { observedGeneration?: number; lastUpdateTime?: string }>();

  constructor(private readonly o: RecommendationControllerOptions) {
    this.now = o.now ?? Date.now;
    this.queue = new WorkQueue((key) => this.reconcile(key), {
      concurrency: 2,
      onError: (key, e) => o.log.warn(`recommendationrule ${key}: ${apiMessage(e)}`),
    });
  }

  /** Starts the informers (resolves once they listed). */
  async start(): Promise<void> {
    const { clients, log } = this.o;
    const onError = (what: string) => (e: unknown) => log.warn(`watch ${what}: ${apiMessage(e)}; restarting`);
    const [rules, recommendations, hpas, ...workloads] = await Promise.all([
      startInformer<KubeObject>(clients, RULE_GVR, {
        onEvent: (_ev, obj) => this.queue.add(obj.metadata.name),
        onError: onError("recommendationrules"),
      }),
      startInformer<KubeObject>(clients, RECOMMENDATION_GVR, {
        labelSelector: `${LABELS.managedBy}=${MANAGED_BY}`,
        onEvent: (_ev, obj) => {
          const rule = ownerRule(obj);
          if (rule) this.queue.add(rule);
        },
        onError: onError("recommendations"),
      }),
      startInformer<KubeObject>(clients, hpaGvr(this.o.hpaVersion), {
        onError: onError("horizontalpodautoscalers"),
      }),
      ...WORKLOAD_GVRS.map((gvr) =>
        startInformer<KubeObject>(clients, gvr, {
          onEvent: () => this.resync(),
          onError: onError(gvr.plural),
        }),
      ),
    ]);
    this.caches = { rules, recommendations, workloads, hpas };
  }

  /** Each informer and whether it has listed (readiness); not synced before start() resolved. */
  informers(): { resource: string; synced: boolean }[] {
    const c = this.caches;
    if (!c) return [{ resource: RULE_GVR.plural, synced: false }];
    return [
      { resource: RULE_GVR.plural, synced: c.rules.synced() },
      { resource: RECOMMENDATION_GVR.plural, synced: c.recommendations.synced() },
      { resource: "workload-hpas", synced: c.hpas.synced() },
      ...c.workloads.map((w, i) => ({ resource: WORKLOAD_GVRS[i]!.plural, synced: w.synced() })),
    ];
  }

  /** Queues every rule (after gaining leadership, and when a workload changes). */
  resync(): void {
    for (const r of this.caches?.rules.list() ?? []) this.queue.add(r.metadata.name);
  }

  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.stop();
    const c = this.caches;
    if (c)
      await Promise.all([
        c.rules.stop(),
        c.recommendations.stop(),
        c.hpas.stop(),
        ...c.workloads.map((w) => w.stop()),
      ]);
  }

  /** Resolves when no reconcile is queued or running (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private workloads(): Workload[] {
    const c = this.caches as Caches;
    return c.workloads.flatMap((cache, i) => cache.list().map((o) => workloadOf(WORKLOAD_GVRS[i]!, o)));
  }

  private workloadObject(t: Target): KubeObject | undefined {
    const i = WORKLOAD_GVRS.findIndex((g) => WORKLOAD_KIND_OF[g.plural] === t.kind);
    return i < 0 ? undefined : (this.caches as Caches).workloads[i]?.get(t.namespace, t.name);
  }

  private schedule(name: string, atMs: number): void {
    const prev = this.timers.get(name);
    if (prev) clearTimeout(prev);
    // setTimeout holds at most 2^31-1 ms (~24.8 days); a longer wait re-arms on the next reconcile.
    const delay = Math.min(Math.max(0, atMs - this.now()), 2 ** 31 - 1);
    const t = setTimeout(() => {
      this.timers.delete(name);
      this.queue.add(name);
    }, delay);
    t.unref();
    this.timers.set(name, t);
  }

  private async reconcile(name: string): Promise<void> {
    const c = this.caches;
    if (!c || !this.o.canWrite()) return;
    const obj = c.rules.get("", name);
    if (!obj || obj.metadata.deletionTimestamp) {
      // Its Recommendations are garbage-collected through their owner references.
      const t = this.timers.get(name);
      if (t) clearTimeout(t);
      this.timers.delete(name);
      this.lastRun.delete(name);
      return;
    }
    const previous = this.withLastRun(name, observedRuleStatus(obj));
    const nowMs = this.now();
    const nowIso = new Date(nowMs).toISOString();
    const valid = validateRule(obj);
    if (!valid.ok) {
      const summary: RuleReconcileSummary = {
        ...(obj.metadata.generation !== undefined ? { generation: obj.metadata.generation } : {}),
        problems: valid.error,
        targets: 0,
        recommendations: 0,
        conflicts: [],
        ran: false,
        failed: 0,
        abstained: 0,
      };
      const status = ruleStatus(summary, nowIso, previous);
      if (await this.writeRuleStatus(obj, status, previous))
        await this.o.recorder.record(
          this.involved(obj),
          "Warning",
          "InvalidSpec",
          status.conditions?.[0]?.message ?? "",
        );
      return;
    }
    const rule = valid.value;
    const targets = selectTargets(rule.spec, this.workloads());
    const desired = desiredRecommendations(
      rule.metadata,
      targets,
      rule.spec.recommenders.map((r) => r.name),
    );
    const plan = planRecommendations(
      rule.metadata.uid,
      desired,
      c.recommendations.list() as readonly ObservedRecommendation[],
    );
    const stored = await this.apply(obj, plan);
    const sched = runSchedule(
      rule.metadata.generation,
      previous,
      rule.spec.runIntervalMs,
      nowMs,
      this.o.retryMs,
    );
    const toCompute = [
      ...plan.create,
      ...plan.update.map((u) => u.desired),
      ...plan.unchanged.map((u) => u.desired),
    ].filter((d) => sched.due || !(this.written.has(keyOf(d)) || computed(stored.get(keyOf(d)))));
    const results = await this.compute(rule, toCompute, stored);
    const summary: RuleReconcileSummary = {
      ...(rule.metadata.generation !== undefined ? { generation: rule.metadata.generation } : {}),
      targets: targets.length,
      recommendations: desired.length - plan.conflicts.length,
      conflicts: plan.conflicts.map((d) => `${d.metadata.namespace}/${d.metadata.name}`),
      ran: sched.due,
      failed: results.failed.length,
      abstained: results.abstained,
      ...(results.failed[0] ? { firstFailure: results.failed[0] } : {}),
    };
    const next = ruleStatus(summary, nowIso, previous);
    if (sched.due)
      this.lastRun.set(name, {
        ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}),
        ...(next.lastUpdateTime !== undefined ? { lastUpdateTime: next.lastUpdateTime } : {}),
      });
    await this.writeRuleStatus(obj, next, previous);
    if (results.failed.length > 0)
      await this.o.recorder.record(
        this.involved(obj),
        "Warning",
        "RecommendFailed",
        next.conditions?.[0]?.message ?? "",
      );
    const after = runSchedule(
      rule.metadata.generation,
      next,
      rule.spec.runIntervalMs,
      this.now(),
      this.o.retryMs,
    );
    this.schedule(name, after.due ? this.now() + this.o.retryMs : after.nextRunMs);
    this.o.log.debug(
      `recommendationrule ${name}: ${targets.length} targets, +${plan.create.length} ~${plan.update.length} -${plan.delete.length}, computed ${toCompute.length}`,
    );
  }

  /** The stored status, with this process's last run when the cache has not caught up with it. */
  private withLastRun(name: string, stored: RuleStatus): RuleStatus {
    const mine = this.lastRun.get(name);
    if (!mine?.lastUpdateTime) return stored;
    if (stored.lastUpdateTime && Date.parse(stored.lastUpdateTime) >= Date.parse(mine.lastUpdateTime))
      return stored;
    return { ...stored, ...mine };
  }

  private involved(obj: KubeObject): KubeObject {
    return { ...obj, apiVersion: ANALYSIS_API_VERSION, kind: RULE_KIND };
  }

  /** Performs the plan; returns the Recommendations as now stored (by namespace/name). */
  private async apply(rule: KubeObject, plan: RecommendationPlan): Promise<Map<string, KubeObject>> {
    const { clients, log } = this.o;
    const stored = new Map<string, KubeObject>();
    for (const u of plan.unchanged) stored.set(keyOf(u.desired), u.observed as KubeObject);
    for (const d of plan.create) {
      try {
        stored.set(
          keyOf(d),
          await createObject(clients, RECOMMENDATION_GVR, d.metadata.namespace, d as unknown as KubeObject),
        );
      } catch (e) {
        if (apiStatus(e) !== 409) throw e;
        // The cache lags behind an object that exists: read it, the next reconcile compares it.
        const o = await getObject(clients, RECOMMENDATION_GVR, d.metadata.namespace, d.metadata.name);
        if (o) stored.set(keyOf(d), o);
      }
    }
    for (const { desired, observed } of plan.update) {
      const o = observed as KubeObject;
      log.info(
        `recommendations ${desired.metadata.namespace}/${desired.metadata.name}: differs from the desired one; updating`,
      );
      stored.set(
        keyOf(desired),
        await replaceObject(clients, RECOMMENDATION_GVR, desired.metadata.namespace, {
          ...o,
          apiVersion: ANALYSIS_API_VERSION,
          kind: RECOMMENDATION_KIND,
          metadata: {
            ...o.metadata,
            labels: { ...o.metadata.labels, ...desired.metadata.labels },
            ownerReferences: desired.metadata.ownerReferences,
          },
          spec: desired.spec,
        }),
      );
    }
    for (const d of plan.delete) {
      this.written.delete(keyOf({ metadata: d }));
      try {
        await clients.custom.deleteNamespacedCustomObject({
          ...RECOMMENDATION_GVR,
          namespace: d.namespace,
          name: d.name,
        });
      } catch (e) {
        if (apiStatus(e) !== 404) throw e;
      }
    }
    const involved = this.involved(rule);
    if (plan.create.length > 0)
      await this.o.recorder.record(involved, "Normal", "Created", `created ${namesOf(plan.create)}`);
    if (plan.delete.length > 0)
      await this.o.recorder.record(
        involved,
        "Normal",
        "DeletedStale",
        `deleted ${plan.delete.length} Recommendation(s) the rule no longer selects: ${plan.delete
          .slice(0, 5)
          .map((d) => `${d.namespace}/${d.name}`)
          .join(", ")}${plan.delete.length > 5 ? ", ..." : ""}`,
      );
    return stored;
  }

  /** Runs the recommenders for `list` (grouped by target) and writes each Recommendation's status. */
  private async compute(
    rule: Rule,
    list: readonly DesiredRecommendation[],
    stored: Map<string, KubeObject>,
  ): Promise<{ failed: string[]; abstained: number }> {
    const byTarget = new Map<string, DesiredRecommendation[]>();
    for (const d of list) {
      const t = d.spec.targetRef;
      const k = `${t.namespace}/${t.kind}/${t.name}`;
      byTarget.set(k, [...(byTarget.get(k) ?? []), d]);
    }
    const failed: string[] = [];
    let abstained = 0;
    await forEachLimited([...byTarget.values()], this.o.concurrency, async (group) => {
      const ref = group[0]!.spec.targetRef;
      const target: Target = { ...ref, kind: ref.kind as Target["kind"] };
      const types = [...new Set(group.map((d) => d.spec.type))];
      const workload = this.workloadObject(target);
      const outcomes = workload
        ? await this.o.recommend({
            target,
            workload,
            hpas: (this.caches as Caches).hpas.list(target.namespace),
            types,
            policy: rule.spec.policy,
          })
        : failedOutcomes(
            types,
            `${target.kind} ${target.namespace}/${target.name} is not in the watch cache`,
          );
      for (const d of group) {
        const outcome = outcomes.get(d.spec.type) ?? { kind: "failed", message: `no ${d.spec.type} result` };
        if (outcome.kind === "failed")
          failed.push(`${ref.kind}/${ref.name} ${d.spec.type}: ${outcome.message}`);
        if (outcome.kind === "abstained") abstained++;
        const current = stored.get(keyOf(d));
        if (current)
          await this.writeStatus(
            current,
            recommendationStatus(outcome, new Date(this.now()).toISOString(), current.status),
          );
      }
    });
    return { failed, abstained };
  }

  private async writeStatus(obj: KubeObject, status: unknown): Promise<void> {
    const ns = obj.metadata.namespace ?? "";
    const body = { ...obj, apiVersion: ANALYSIS_API_VERSION, kind: RECOMMENDATION_KIND, status };
    try {
      await replaceStatus(this.o.clients, RECOMMENDATION_GVR, ns, body);
      this.written.add(`${ns}/${obj.metadata.name}`);
    } catch (e) {
      if (apiStatus(e) !== 409) throw e;
      // Changed since the cache saw it: write onto the stored version once.
      const fresh = await getObject(this.o.clients, RECOMMENDATION_GVR, ns, obj.metadata.name);
      if (fresh)
        await replaceStatus(this.o.clients, RECOMMENDATION_GVR, ns, { ...body, metadata: fresh.metadata });
    }
  }

  /** Writes the rule's status when it changed; true when written. */
  private async writeRuleStatus(obj: KubeObject, next: RuleStatus, previous: RuleStatus): Promise<boolean> {
    if (!ruleStatusChanged(previous, next)) return false;
    try {
      await this.o.clients.custom.replaceClusterCustomObjectStatus({
        ...RULE_GVR,
        name: obj.metadata.name,
        body: { ...obj, apiVersion: ANALYSIS_API_VERSION, kind: RULE_KIND, status: next },
      });
    } catch (e) {
      // 409: the rule changed since the cache saw it; its watch event queues another reconcile.
      if (apiStatus(e) !== 409) throw e;
      return false;
    }
    return true;
  }
}

function keyOf(d: { metadata: { namespace: string; name: string } }): string {
  return `${d.metadata.namespace}/${d.metadata.name}`;
}

function namesOf(list: readonly DesiredRecommendation[]): string {
  const shown = list.slice(0, 5).map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
  return `${list.length} Recommendation(s): ${shown.join(", ")}${list.length > 5 ? ", ..." : ""}`;
}
