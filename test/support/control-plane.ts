/**
 * A real Kubernetes control plane for end-to-end tests: etcd + kube-apiserver + kube-controller-manager
 * on loopback (no kubelet, no scheduler), driven by `scripts/control-plane.sh` so that tests and humans
 * run exactly the same flags. Also `kubectl` and the stand-in for the kubelet (`markPodsReady`).
 *
 *   const cp = await startControlPlane();           // builds nothing; call ensureControlPlaneBuilt() first
 *   await cp.kubectl(["create", "namespace", "demo"]);
 *   await cp.markPodsReady("demo", "app=web");      // phase Running + Ready=True through pods/status
 *   await cp.stop();                                 // stops every process and removes the temp dir
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CONTROL_PLANE_SCRIPT = join(REPO_ROOT, "scripts/control-plane.sh");
export const KUBECTL_BIN = process.env.KUBECTL_BIN ?? "/usr/bin/kubectl";

/** What `scripts/control-plane.sh up` writes to `<dir>/control-plane.json`. */
export interface ControlPlaneInfo {
  dir: string;
  binDir: string;
  etcdPort: number;
  apiserverPort: number;
  controllerManagerPort: number;
  /** `https://127.0.0.1:<port>` */
  server: string;
  /** Admin kubeconfig (client certificate in group system:masters). */
  kubeconfig: string;
  pki: string;
  /** The cluster CA (signs the apiserver's serving certificate and the client certificates). */
  caFile: string;
  /** The front-proxy CA: kube-apiserver's `--requestheader-client-ca-file`. */
  requestheaderClientCAFile: string;
  /** The aggregator's client certificate (`--proxy-client-cert-file`, CN front-proxy-client). */
  frontProxyClientCert: string;
  frontProxyClientKey: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane extends ControlPlaneInfo {
  /** Runs kubectl with the admin kubeconfig; throws on a non-zero exit unless `allowFail`. */
  kubectl(
    args: string[],
    opts?: { input?: string; allowFail?: boolean; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** `kubectl apply -f -` of a YAML or JSON document. */
  apply(manifest: string): Promise<void>;
  /** Marks the matching pods Running and Ready (what a kubelet would do). Returns the pods it changed. */
  markPodsReady(namespace: string, selector: string): Promise<string[]>;
  /** Last lines of a component's log (`etcd`, `kube-apiserver`, `kube-controller-manager`). */
  log(component: string, lines?: number): Promise<string>;
  /** Stops etcd, kube-apiserver and kube-controller-manager and removes the state dir. Safe to call twice. */
  stop(): Promise<void>;
}

function run(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<KubectlResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`${cmd} ${args.join(" ")}: ${err.message}\n${stderr}`));
          return;
        }
        resolvePromise({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The cached directory holding kube-apiserver and kube-controller-manager, or undefined if not built. */
export async function controlPlaneBinDir(): Promise<string | undefined> {
  const r = await run("bash", [CONTROL_PLANE_SCRIPT, "bin-dir"]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * Returns the binary directory, building kube-apiserver and kube-controller-manager from Debian's
 * `kubernetes` source package first when they are not cached (about 7 minutes on 2 idle cores; the
 * build log streams to stderr).
 */
export async function ensureControlPlaneBuilt(): Promise<string> {
  const cached = await controlPlaneBinDir();
  if (cached) return cached;
  return new Promise((resolvePromise, reject) => {
    const child = spawn("bash", [CONTROL_PLANE_SCRIPT, "build"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolvePromise(out.trim().split("\n").pop() ?? "");
      else reject(new Error(`scripts/control-plane.sh build exited with ${code}`));
    });
  });
}

/** Runs kubectl with `kubeconfig`. Throws with stderr on a non-zero exit unless `allowFail`. */
export async function kubectl(
  kubeconfig: string,
  args: string[],
  opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  const r = await run(KUBECTL_BIN, ["--kubeconfig", kubeconfig, ...args], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  if (r.code !== 0 && !opts.allowFail) {
    throw new Error(`kubectl ${args.join(" ")} exited with ${r.code}: ${r.stderr.trim()}`);
  }
  return r;
}

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string };
    spec: { containers: { name: string; image: string }[] };
    status?: { phase?: string; conditions?: { type: string; status: string }[] };
  }[];
}

/** A stable fake pod IP in 10.244.0.0/16 derived from the pod name (no kubelet, no CNI). */
function podIP(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `10.244.${(h >>> 8) % 256}.${(h % 253) + 2}`;
}

/**
 * Stands in for the kubelet: every matching pod that is not being deleted and not yet Ready gets
 * phase Running, a pod IP and the conditions PodScheduled/Initialized/ContainersReady/Ready=True,
 * written through the `pods/status` subresource. Returns the names of the pods it changed.
 */
export async function markPodsReady(
  kubeconfig: string,
  namespace: string,
  selector: string,
): Promise<string[]> {
  const r = await kubectl(kubeconfig, ["get", "pods", "-n", namespace, "-l", selector, "-o", "json"]);
  const list = JSON.parse(r.stdout) as PodList;
  const changed: string[] = [];
  for (const pod of list.items) {
    if (pod.metadata.deletionTimestamp) continue;
    const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    if (pod.status?.phase === "Running" && ready) continue;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const condition = (type: string) => ({ type, status: "True", lastTransitionTime: now });
    const status = {
      status: {
        phase: "Running",
        podIP: podIP(pod.metadata.name),
        hostIP: "10.0.1.1",
        startTime: now,
        conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map(condition),
        containerStatuses: pod.spec.containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: "",
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      },
    };
    const p = await kubectl(
      kubeconfig,
      [
        "patch",
        "pod",
        pod.metadata.name,
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        JSON.stringify(status),
      ],
      { allowFail: true },
    );
    // A pod deleted between the list and the patch is not an error (the ReplicaSet scaled down).
    if (p.code === 0) changed.push(pod.metadata.name);
    else if (!/NotFound|not found/.test(p.stderr))
      throw new Error(`marking ${pod.metadata.name} ready: ${p.stderr}`);
  }
  return changed;
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager (`scripts/control-plane.sh up`) in a new temp
 * directory and resolves when the apiserver is ready and the `default` ServiceAccount exists. The
 * binaries must be built (see `ensureControlPlaneBuilt`).
 */
export async function startControlPlane(): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), "tidescale-cp-"));
  const up = await run("bash", [CONTROL_PLANE_SCRIPT, "up", dir], { timeoutMs: 240_000 });
  if (up.code !== 0) {
    await run("bash", [CONTROL_PLANE_SCRIPT, "down", dir]);
    throw new Error(`scripts/control-plane.sh up failed (${up.code}):\n${up.stderr.slice(-4000)}`);
  }
  const info = JSON.parse(await readFile(join(dir, "control-plane.json"), "utf8")) as ControlPlaneInfo;
  let stopped = false;
  // Safety net: the processes run in their own sessions, so stop them if this process exits without
  // calling stop() (a crashed or interrupted test run).
  const onExit = () => {
    if (stopped) return;
    try {
      execFileSync("bash", [CONTROL_PLANE_SCRIPT, "down", info.dir], { stdio: "ignore", timeout: 30_000 });
    } catch {
      // best effort at exit
    }
  };
  process.once("exit", onExit);
  return {
    ...info,
    kubectl: (args, opts) => kubectl(info.kubeconfig, args, opts),
    async apply(manifest) {
      await kubectl(info.kubeconfig, ["apply", "-f", "-"], { input: manifest });
    },
    markPodsReady: (namespace, selector) => markPodsReady(info.kubeconfig, namespace, selector),
    async log(component, lines = 60) {
      const file = join(info.dir, `${component}.log`);
      if (!existsSync(file)) return "";
      return (await readFile(file, "utf8")).split("\n").slice(-lines).join("\n");
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      const r = await run("bash", [CONTROL_PLANE_SCRIPT, "down", info.dir]);
      if (r.code !== 0) throw new Error(`scripts/control-plane.sh down failed: ${r.stderr}`);
    },
  };
}

/**
 * Stands in for the kubelet and for a Service spreading load: every 500 ms, marks new pods matching
 * `selector` ready and gives `exporter` the current set of running pods. Bounded: ends on `stop()` or
 * after `maxMinutes` (default 30).
 */
export function startPodLoop(
  cp: Pick<ControlPlane, "markPodsReady" | "kubectl">,
  namespace: string,
  selector: string,
  exporter: { setPods(names: string[]): void },
  maxMinutes = 30,
): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    const until = Date.now() + maxMinutes * 60_000;
    while (running && Date.now() < until) {
      try {
        await cp.markPodsReady(namespace, selector);
        const r = await cp.kubectl(["get", "pods", "-n", namespace, "-l", selector, "-o", "json"]);
        const pods = (JSON.parse(r.stdout) as PodList).items
          .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === "Running")
          .map((p) => p.metadata.name);
        exporter.setPods(pods);
      } catch {
        // The apiserver may be stopping (afterAll); the next round retries.
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Creates `namespace` and waits for its `default` ServiceAccount (pods need it to be admitted). */
export async function createNamespace(
  cp: Pick<ControlPlane, "kubectl" | "apply">,
  namespace: string,
): Promise<void> {
  await cp.apply(JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }));
  const deadline = Date.now() + 30_000;
  while ((await cp.kubectl(["get", "sa", "default", "-n", namespace], { allowFail: true })).code !== 0) {
    if (Date.now() > deadline)
      throw new Error(`ServiceAccount ${namespace}/default: not created within 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
