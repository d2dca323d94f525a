/**
 * Test PKI: certificate authorities and leaf certificates made with the real `openssl` CLI, written to a
 * temporary directory. Used for the adapter's TLS, front-proxy (requestheader) and client-CA tests, and
 * for the control plane's certificates. Keys are EC P-256 (fast to generate).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
  /** Paths of the files holding `cert` and `key`. */
  certFile: string;
  keyFile: string;
}

export interface CA extends Pem {
  name: string;
}

export interface CertOptions {
  /** Subject common name: the user name for client certs (and the front-proxy's allowed name). */
  cn: string;
  /** Subject organizations: the groups for client certs. */
  o?: string[];
  /** DNS names and IPs for serving certs (IPs are detected by shape). */
  sans?: string[];
  /** `client`, `server` or `both` (the extended key usage). Default: `both`. */
  usage?: "client" | "server" | "both";
  /** Validity in days (default 30). */
  days?: number;
  /** Make an intermediate CA (CA:TRUE, keyCertSign) that `makeCert` can sign with. */
  intermediate?: boolean;
}

let counter = 0;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "tidescale-pki-"));
}

const dirs: string[] = [];

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

function subject(cn: string, o: string[] = []): string {
  const esc = (s: string) => s.replace(/([/\\=+,])/g, "\\$1");
  return `${o.map((g) => `/O=${esc(g)}`).join("")}/CN=${esc(cn)}`;
}

/** A new self-signed CA (`basicConstraints CA:TRUE`, keyCertSign). */
export function makeCA(name = "test-ca"): CA {
  const dir = tmp();
  dirs.push(dir);
  const keyFile = join(dir, "ca.key");
  const certFile = join(dir, "ca.crt");
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile], dir);
  openssl(
    [
      "req",
      "-x509",
      "-new",
      "-key",
      keyFile,
      "-subj",
      subject(`${name}-${process.pid}-${++counter}`),
      "-days",
      "30",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
      "-out",
      certFile,
    ],
    dir,
  );
  return {
    name,
    cert: readFileSync(certFile, "utf8"),
    key: readFileSync(keyFile, "utf8"),
    certFile,
    keyFile,
  };
}

/** A leaf certificate (or, with `intermediate`, a CA) signed by `ca`. */
export function makeCert(ca: CA, opts: CertOptions & { intermediate: true }): CA;
export function makeCert(ca: CA, opts: CertOptions): Pem;
export function makeCert(ca: CA, opts: CertOptions): Pem | CA {
  const dir = tmp();
  dirs.push(dir);
  const keyFile = join(dir, "tls.key");
  const certFile = join(dir, "tls.crt");
  const csrFile = join(dir, "tls.csr");
  const extFile = join(dir, "ext.cnf");
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile], dir);
  openssl(["req", "-new", "-key", keyFile, "-subj", subject(opts.cn, opts.o), "-out", csrFile], dir);
  const usage = opts.usage ?? "both";
  const eku = usage === "client" ? "clientAuth" : usage === "server" ? "serverAuth" : "serverAuth,clientAuth";
  const lines = opts.intermediate
    ? ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"]
    : [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        `extendedKeyUsage=${eku}`,
      ];
  const sans = opts.sans ?? [];
  if (sans.length > 0) {
    const isIp = (s: string) => /^[0-9.]+$/.test(s) || s.includes(":");
    lines.push(`subjectAltName=${sans.map((s) => (isIp(s) ? `IP:${s}` : `DNS:${s}`)).join(",")}`);
  }
  writeFileSync(extFile, `${lines.join("\n")}\n`);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      csrFile,
      "-CA",
      ca.certFile,
      "-CAkey",
      ca.keyFile,
      "-CAcreateserial",
      "-days",
      String(opts.days ?? 30),
      "-extfile",
      extFile,
      "-out",
      certFile,
    ],
    dir,
  );
  const pem = { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
  return opts.intermediate ? { ...pem, name: opts.cn } : pem;
}

/** Removes every directory made by makeCA/makeCert in this process (call from afterAll). */
export function cleanupPki(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A token the review server accepts, and who it is. */
export interface ReviewUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface ReviewServer {
  /** https://127.0.0.1:<port> */
  url: string;
  /** A kubeconfig file that reaches this server as the adapter (token `adapter-token`). */
  kubeconfig: string;
  /** Tokens TokenReview accepts. */
  tokens: Map<string, ReviewUser>;
  /** Decides SubjectAccessReviews (spec in, status out). Default: allow everything. */
  authorize: (spec: SarSpec) => { allowed: boolean; reason?: string };
  /** Objects served on GET by path (ConfigMaps, Services). */
  objects: Map<string, unknown>;
  /** Every SubjectAccessReview spec received, in order. */
  sars: SarSpec[];
  /** Number of TokenReviews received. */
  tokenReviews: number;
  close(): Promise<void>;
}

export interface SarSpec {
  user: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: { path: string; verb: string };
}

/**
 * A loopback HTTPS server that plays the parts of a kube-apiserver the adapter's delegated
 * authentication uses: POST tokenreviews, POST subjectaccessreviews, and GET of the objects put in
 * `objects`. It is a real HTTP server for unit tests; the real kube-apiserver is exercised by the
 * control-plane e2e test. It requires the adapter's own bearer token, as an apiserver would.
 */
export async function startReviewServer(): Promise<ReviewServer> {
  const { createServer } = await import("node:https");
  const ca = makeCA("apiserver-ca");
  const serving = makeCert(ca, { cn: "kube-apiserver", sans: ["127.0.0.1", "localhost"], usage: "server" });
  const state = {
    tokens: new Map<string, ReviewUser>(),
    authorize: (_: SarSpec) => ({ allowed: true }) as { allowed: boolean; reason?: string },
    objects: new Map<string, unknown>(),
    sars: [] as SarSpec[],
    tokenReviews: 0,
  };
  const server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (code: number, body: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== "Bearer adapter-token") {
        send(401, {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "Unauthorized",
          code: 401,
        });
        return;
      }
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      if (req.method === "POST" && req.url === "/apis/authentication.k8s.io/v1/tokenreviews") {
        state.tokenReviews++;
        const user = state.tokens.get(body.spec.token);
        send(201, {
          ...body,
          status: user ? { authenticated: true, user } : { authenticated: false, error: "token not found" },
        });
      } else if (req.method === "POST" && req.url === "/apis/authorization.k8s.io/v1/subjectaccessreviews") {
        state.sars.push(body.spec);
        const d = state.authorize(body.spec);
        send(201, {
          ...body,
          status: d.allowed ? { allowed: true } : { allowed: false, reason: d.reason ?? "" },
        });
      } else if (req.method === "GET" && req.url && state.objects.has(req.url)) {
        send(200, state.objects.get(req.url));
      } else {
        send(404, {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "NotFound",
          code: 404,
          message: `${req.url} not found`,
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const url = `https://127.0.0.1:${port}`;
  const dir = tmp();
  dirs.push(dir);
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: test",
      "  cluster:",
      `    server: ${url}`,
      `    certificate-authority-data: ${Buffer.from(ca.cert).toString("base64")}`,
      "users:",
      "- name: adapter",
      "  user:",
      "    token: adapter-token",
      "contexts:",
      "- name: test",
      "  context: {cluster: test, user: adapter}",
      "current-context: test",
      "",
    ].join("\n"),
  );
  return Object.assign(state, {
    url,
    kubeconfig,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
