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

/** A leaf certificate signed by `ca`. */
export function makeCert(ca: CA, opts: CertOptions): Pem {
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
  const lines = [
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
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
}

/** Removes every directory made by makeCA/makeCert in this process (call from afterAll). */
export function cleanupPki(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
