/**
 * The leader election loop around the pure Lease decisions (core/lease/election.ts): try to acquire
 * every retry period; once leading, renew every retry period and give up leadership when no renewal has
 * succeeded within the renew deadline (client-go's `renew` loop). On stop, a leader releases the Lease so
 * a standby takes over at once.
 */
import {
  decideLease,
  type ElectionTiming,
  type LeaseSpec,
  type Observation,
  releasedSpec,
} from "../../core/lease/election.js";
import {
  apiMessage,
  apiStatus,
  createObject,
  getObject,
  type KubeClients,
  type KubeObject,
  LEASE_GVR,
  replaceObject,
} from "./client.js";

export interface LeaderElectionOptions {
  clients: KubeClients;
  namespace: string;
  name: string;
  identity: string;
  timing: ElectionTiming;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  /** Every other holder seen (for logs). */
  onNewLeader?: (identity: string) => void;
  log?: (msg: string) => void;
  /** Clock (ms); tests of the loop are e2e, so this is only for symmetry with core. */
  now?: () => number;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops the loop and releases the lease when holding it. */
  stop(): Promise<void>;
}

interface LeaseObject extends KubeObject {
  spec?: LeaseSpec;
}

/** Starts the loop; the callbacks fire on every change of leadership. */
export function startLeaderElection(o: LeaderElectionOptions): LeaderElector {
  const now = o.now ?? Date.now;
  let observation: Observation = { record: undefined, atMs: 0 };
  let leading = false;
  let lastRenewMs = 0;
  let stopped = false;
  let lastHolder = "";
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const attempt = async (): Promise<boolean> => {
    const current = (await getObject(o.clients, LEASE_GVR, o.namespace, o.name)) as LeaseObject | undefined;
    const { action, observation: next } = decideLease({
      identity: o.identity,
      leaseDurationSeconds: o.timing.leaseDurationSeconds,
      current: current?.spec,
      previous: observation,
      nowMs: now(),
    });
    observation = next;
    if (action.kind === "follow") {
      if (action.holder !== lastHolder) {
        lastHolder = action.holder;
        o.onNewLeader?.(action.holder);
      }
      return false;
    }
    const body: LeaseObject = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { ...(current?.metadata ?? {}), name: o.name, namespace: o.namespace },
      spec: action.spec,
    };
    const written =
      action.kind === "create"
        ? await createObject(o.clients, LEASE_GVR, o.namespace, body)
        : await replaceObject(o.clients, LEASE_GVR, o.namespace, body);
    observation = { record: (written as LeaseObject).spec, atMs: now() };
    if (lastHolder !== o.identity) {
      lastHolder = o.identity;
      o.onNewLeader?.(o.identity);
    }
    return true;
  };

  const tick = async () => {
    let ok = false;
    try {
      ok = await attempt();
    } catch (e) {
      // 409: another candidate wrote first; anything else: the apiserver is unreachable.
      if (apiStatus(e) !== 409) o.log?.(`leader election ${o.namespace}/${o.name}: ${apiMessage(e)}`);
    }
    if (ok) {
      lastRenewMs = now();
      if (!leading) {
        leading = true;
        o.onStartedLeading();
      }
    } else if (leading && now() - lastRenewMs > o.timing.renewDeadlineSeconds * 1000) {
      leading = false;
      o.onStoppedLeading();
    } else if (leading && !ok && lastHolder !== o.identity) {
      // Someone else holds the lease now (ours expired while we could not renew).
      leading = false;
      o.onStoppedLeading();
    }
  };

  const loop = () => {
    if (stopped) return;
    running = tick().finally(() => {
      if (stopped) return;
      // client-go jitters the acquire retries (JitterFactor 1.2) so candidates do not write in lockstep.
      const jitter = leading ? 1 : 1 + Math.random() * 0.2;
      timer = setTimeout(loop, o.timing.retryPeriodSeconds * 1000 * jitter);
    });
  };
  loop();

  return {
    isLeader: () => leading,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      if (!leading) return;
      leading = false;
      try {
        const current = (await getObject(o.clients, LEASE_GVR, o.namespace, o.name)) as
          | LeaseObject
          | undefined;
        if (current?.spec?.holderIdentity === o.identity) {
          await replaceObject(o.clients, LEASE_GVR, o.namespace, {
            ...current,
            spec: releasedSpec(current.spec, now()),
          } as LeaseObject);
        }
      } catch (e) {
        o.log?.(`releasing lease ${o.namespace}/${o.name}: ${apiMessage(e)}`);
      }
      o.onStoppedLeading();
    },
  };
}
