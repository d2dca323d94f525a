/**
 * `tidescale certs`: the adapter's TLS for a cluster without cert-manager. Makes a CA and a serving
 * certificate for the adapter's Service (`<service>.<namespace>.svc`), and writes the Secret the
 * Deployment mounts and the APIService objects with the CA in `caBundle`, so the aggregator verifies the
 * adapter instead of skipping verification.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { stringify } from "yaml";
import { createServingPki } from "../../adapters/http/auth/serving-pki.js";
import {
  apiServiceManifests,
  serviceDnsNames,
  servingSecretManifest,
} from "../../core/deploy/apiservices.js";
import { invalidInput } from "../../core/errors.js";
import {
  validateDns1035Label,
  validateDns1123Label,
  validateDns1123Subdomain,
} from "../../core/labels/names.js";

/** What `tidescale certs` writes into `--out-dir`. */
export const CERTS_FILES = {
  caCert: "ca.crt",
  caKey: "ca.key",
  cert: "tls.crt",
  key: "tls.key",
  secret: "serving-secret.yaml",
  apiServices: "apiservices.yaml",
} as const;

interface CertsOptions {
  namespace: string;
  service: string;
  secret: string;
  port: string;
  days: string;
  outDir: string;
  caCert?: string;
  caKey?: string;
  resourceMetrics: boolean;
  force?: boolean;
}

export function register(program: Command): void {
  const cmd = new Command("certs")
    .description(
      "Make a CA and a serving certificate for the adapter's Service (<service>.<namespace>.svc), and write " +
        "the kubernetes.io/tls Secret the Deployment in deploy/ mounts and the APIService objects with the " +
        "CA in caBundle (the aggregator then verifies the adapter). Needs the openssl command. Keep ca.key " +
        "out of the cluster; give it back with --ca-cert/--ca-key to renew the serving certificate under the " +
        "same caBundle.",
    )
    .option("--namespace <ns>", "namespace of the adapter's Service and Secret", "tidescale")
    .option("--service <name>", "name of the adapter's Service", "tidescale-adapter")
    .option("--secret <name>", "name of the serving-certificate Secret", "tidescale-adapter-tls")
    .option("--port <port>", "the Service port the APIServices point at", "443")
    .option("--days <n>", "validity of the serving certificate (a new CA gets 10x)", "365")
    .option("--out-dir <dir>", "where the files are written", "tidescale-certs")
    .option("--ca-cert <file>", "sign with this existing CA certificate (needs --ca-key)")
    .option("--ca-key <file>", "the existing CA's private key")
    .option("--no-resource-metrics", "leave out v1beta1.metrics.k8s.io (when metrics-server serves it)")
    .option("--force", "overwrite files already in --out-dir")
    .addHelpText(
      "after",
      "\nExample:\n" +
        "  tidescale certs --namespace tidescale --service tidescale-adapter --out-dir tidescale-certs\n" +
        "  kubectl apply -f tidescale-certs/serving-secret.yaml -f tidescale-certs/apiservices.yaml",
    )
    .action((o: CertsOptions) => {
      runCerts(o);
    });
  program.addCommand(cmd);
}

function checkName(flag: string, value: string, check: (v: string) => string | undefined): void {
  const problem = check(value);
  if (problem) throw invalidInput(flag, `"${value}": ${problem}`);
}

function positiveInt(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw invalidInput(flag, `want an integer 1..${max}, got "${text}"`);
  return Number(text);
}

function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw invalidInput(
      flag,
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** The CA from --ca-cert/--ca-key: both given, a CA certificate, and the key is its key. */
function existingCA(o: CertsOptions): { cert: string; key: string } | undefined {
  if (!o.caCert && !o.caKey) return undefined;
  if (!o.caCert || !o.caKey)
    throw invalidInput(o.caCert ? "--ca-key" : "--ca-cert", "--ca-cert and --ca-key go together");
  const cert = readFlagFile("--ca-cert", o.caCert);
  const key = readFlagFile("--ca-key", o.caKey);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw invalidInput("--ca-cert", `${o.caCert}: not a PEM certificate (${(e as Error).message})`);
  }
  if (!x509.ca)
    throw invalidInput("--ca-cert", `${o.caCert}: not a CA certificate (basicConstraints CA:FALSE)`);
  let matches = false;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    throw invalidInput("--ca-key", `${o.caKey}: not a PEM private key (${(e as Error).message})`);
  }
  if (!matches) throw invalidInput("--ca-key", `${o.caKey} is not the key of ${o.caCert}`);
  return { cert, key };
}

function runCerts(o: CertsOptions): void {
  checkName("--namespace", o.namespace, validateDns1123Label);
  checkName("--service", o.service, validateDns1035Label);
  checkName("--secret", o.secret, validateDns1123Subdomain);
  const port = positiveInt("--port", o.port, 65535);
  const days = positiveInt("--days", o.days, 3650);
  const ca = existingCA(o);
  const files = Object.values(CERTS_FILES).map((f) => join(o.outDir, f));
  const present = files.filter((f) => existsSync(f));
  if (present.length > 0 && !o.force)
    throw invalidInput("--out-dir", `${present.join(", ")} already exist(s); give --force to overwrite`);

  const ref = { namespace: o.namespace, service: o.service, port };
  const dnsNames = serviceDnsNames(ref);
  const pki = createServingPki({ commonName: dnsNames[0] ?? o.service, dnsNames, days, ca });
  const secret = servingSecretManifest(
    { namespace: o.namespace, secret: o.secret },
    { cert: pki.cert, key: pki.key, ca: pki.caCert },
  );
  const apiServices = apiServiceManifests(ref, pki.caCert, { resourceMetrics: o.resourceMetrics });

  mkdirSync(o.outDir, { recursive: true });
  const write = (name: string, text: string, secretFile = false) =>
    writeFileSync(join(o.outDir, name), text, secretFile ? { mode: 0o600 } : {});
  write(CERTS_FILES.caCert, pki.caCert);
  write(CERTS_FILES.caKey, pki.caKey, true);
  write(CERTS_FILES.cert, pki.cert);
  write(CERTS_FILES.key, pki.key, true);
  write(CERTS_FILES.secret, stringify(secret), true);
  write(CERTS_FILES.apiServices, apiServices.map((a) => stringify(a)).join("---\n"));

  const out = (f: string) => join(o.outDir, f);
  process.stdout.write(
    [
      `CA ${out(CERTS_FILES.caCert)} (key ${out(CERTS_FILES.caKey)}: keep it out of the cluster)${ca ? " (reused)" : ""}`,
      `serving certificate ${out(CERTS_FILES.cert)} for ${dnsNames.join(", ")}, valid ${days} days`,
      `Secret ${o.namespace}/${o.secret}: ${out(CERTS_FILES.secret)}`,
      `APIServices (caBundle = the CA): ${apiServices.map((a) => (a.metadata as { name: string }).name).join(", ")}: ${out(CERTS_FILES.apiServices)}`,
      `next: kubectl apply -f ${out(CERTS_FILES.secret)} -f ${out(CERTS_FILES.apiServices)}`,
      "",
    ].join("\n"),
  );
}
