/**
 * A CA and a serving certificate for the adapter's Service, made with the `openssl` CLI (as `--cert-dir`
 * does for its self-signed pair): EC P-256 keys, the CA with `CA:TRUE, keyCertSign`, the leaf with
 * `serverAuth` and the Service's DNS names. Used by `tidescale certs`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ToolkitError } from "../../../core/errors.js";

export interface ServingPki {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export interface ServingPkiOptions {
  /** Subject CN of the serving certificate. */
  commonName: string;
  /** subjectAltName DNS names (the first is what the aggregator verifies: `<svc>.<ns>.svc`). */
  dnsNames: string[];
  /** Validity of the serving certificate in days (the CA gets ten times as long). */
  days: number;
  /** An existing CA to sign with (renewal keeps the caBundle); a new one is made without it. */
  ca?: { cert: string; key: string } | undefined;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why =
      err.code === "ENOENT" ? "the openssl command is not installed" : (err.stderr?.toString().trim() ?? "");
    throw new ToolkitError("UNAVAILABLE", "openssl", why || err.message);
  }
}

/** Makes (or reuses) the CA and issues the serving certificate. */
export function createServingPki(opts: ServingPkiOptions): ServingPki {
  const dir = mkdtempSync(join(tmpdir(), "tidescale-certs-"));
  try {
    const caKey = join(dir, "ca.key");
    const caCert = join(dir, "ca.crt");
    if (opts.ca) {
      writeFileSync(caKey, opts.ca.key, { mode: 0o600 });
      writeFileSync(caCert, opts.ca.cert);
    } else {
      openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", caKey], dir);
      openssl(
        [
          "req",
          "-x509",
          "-new",
          "-key",
          caKey,
          "-subj",
          `/CN=${opts.commonName}-ca@${Math.floor(Date.now() / 1000)}`,
          "-days",
          String(opts.days * 10),
          "-addext",
          "basicConstraints=critical,CA:TRUE",
          "-addext",
          "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
          "-out",
          caCert,
        ],
        dir,
      );
    }
    const key = join(dir, "tls.key");
    const csr = join(dir, "tls.csr");
    const cert = join(dir, "tls.crt");
    const ext = join(dir, "ext.cnf");
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key], dir);
    openssl(["req", "-new", "-key", key, "-subj", `/CN=${opts.commonName}`, "-out", csr], dir);
    writeFileSync(
      ext,
      [
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${opts.dnsNames.map((n) => `DNS:${n}`).join(",")}`,
        "",
      ].join("\n"),
    );
    openssl(
      [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        caCert,
        "-CAkey",
        caKey,
        "-CAcreateserial",
        "-days",
        String(opts.days),
        "-extfile",
        ext,
        "-out",
        cert,
      ],
      dir,
    );
    return {
      caCert: readFileSync(caCert, "utf8"),
      caKey: readFileSync(caKey, "utf8"),
      cert: readFileSync(cert, "utf8"),
      key: readFileSync(key, "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
