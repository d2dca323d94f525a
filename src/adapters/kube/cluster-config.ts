/**
 * Wires the cluster's API discovery into the adapter: reads it at start, binds the config's resource
 * mappings to it (an override naming a resource the cluster lacks stops the start with an error naming
 * the rule and field), binds every reloaded config the same way, and rebinds the served config when a
 * refresh finds the cluster's resources changed (an error there is logged and the previous binding kept).
 */
import { parseDurationMs } from "../../core/duration.js";
import { invalidInput, ToolkitError } from "../../core/errors.js";
import { bindConfigResources } from "../../core/metrics/cluster-binding.js";
import type { CompiledConfig } from "../../core/metrics/config.js";
import { ClusterResources, type DiscoveryRefreshLog } from "./api-discovery.js";
import type { KubeConnection } from "./connection.js";

/** The least time between two discovery refreshes caused by requests for unknown resources. */
const MISS_REFRESH_MIN_MS = 30_000;

export interface ClusterBinding {
  resources: ClusterResources;
  /** The start config bound to the cluster's resources. */
  config: CompiledConfig;
  /** Binds a (reloaded) config to the latest catalog; throws INVALID_INPUT naming rule and field. */
  bind(config: CompiledConfig): CompiledConfig;
  /** Rebinds `state`'s config whenever discovery changes. */
  follow(state: { config: CompiledConfig; replaceConfig(next: CompiledConfig): Promise<void> }): void;
}

/** Undefined without a cluster (no kubeconfig and not in a pod): the built-in table stays. */
export async function startClusterResources(o: {
  conn: KubeConnection | undefined;
  interval: string;
  config: CompiledConfig;
  configFile: string | undefined;
  log: DiscoveryRefreshLog;
}): Promise<ClusterBinding | undefined> {
  const intervalMs = parseDurationMs(o.interval, "--discovery-interval");
  if (intervalMs < 1000) throw invalidInput("--discovery-interval", "must be at least 1s");
  if (!o.conn) {
    o.log.info({}, "resources: built-in table (no Kubernetes API configured)");
    return undefined;
  }
  let follower: (() => void) | undefined;
  const resources = new ClusterResources({
    conn: o.conn,
    intervalMs,
    missRefreshMinMs: MISS_REFRESH_MIN_MS,
    log: o.log,
    onChange: () => follower?.(),
  });
  try {
    await resources.start();
  } catch (e) {
    const msg = e instanceof ToolkitError ? e.oneLine() : String(e);
    throw new ToolkitError("UNAVAILABLE", "API discovery", `cannot read the cluster's resources: ${msg}`);
  }
  const bind = (c: CompiledConfig) => bindConfigResources(c, resources.catalog, o.configFile ?? "");
  const config = bind(o.config);
  return {
    resources,
    config,
    bind,
    follow(state) {
      follower = () => {
        let next: CompiledConfig;
        try {
          next = bind(state.config);
        } catch (e) {
          const msg = e instanceof ToolkitError ? e.oneLine() : String(e);
          o.log.error(
            { err: msg },
            `API discovery changed and the config no longer matches it; keeping the previous resources: ${msg}`,
          );
          return;
        }
        void state.replaceConfig(next);
      };
    },
  };
}
