/**
 * The serving certificate, as the generic Kubernetes apiserver's SecureServingOptions handle it:
 * `--tls-cert-file`/`--tls-private-key-file` when given, otherwise a self-signed certificate in
 * `--cert-dir` (`apiserver.crt`/`apiserver.key`, generated with the openssl CLI once and reused).
 * The files are watched and a changed pair is loaded into running servers with `setSecureContext`
 * (upstream's DynamicServingCertificateController); a broken pair is logged and the old one kept.
 */
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, unwatchFile, watchFile } from "node:fs";
import type https from "node:https";
import { hostname } from "node:os";
import { join } from "node:path";
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from "node:tls";
import { ToolkitError } from "../../../core/errors.js";

/** The log calls the security parts make (pino's Logger satisfies it). */
export interface SecurityLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: SecurityLog = { info() {}, warn() {}, error() {} };

export interface ServingCertOptions {
  /** `--tls-cert-file` (PEM, may include intermediates). */
  certFile?: string | undefined;
  /** `--tls-private-key-file`. */
  keyFile?: string | undefined;
  /** `--cert-dir`: where a self-signed pair is written when no files are given. */
  certDir: string;
  /** Extra DNS names / IPs for a generated certificate (localhost, 127.0.0.1 and ::1 are always in). */
  alternateNames?: string[];
  /** PEM bundle of CAs advertised to clients for client certificates (requestheader CA, client CA). */
  clientCAs?: string | undefined;
  /** Poll interval of the file watch (default 1000 ms). */
  watchIntervalMs?: number;
}

export interface ServingTls {
  /** Options for `https.createServer`: cert, key, and client certificates requested but not enforced. */
  readonly options: https.ServerOptions;
  readonly certFile: string;
  readonly keyFile: string;
  /** True when the pair was generated (or reused) in `--cert-dir`. */
  readonly selfSigned: boolean;
  /** Loads new contexts into `server` on every successful reload. */
  attach(server: TlsServer): void;
  /** Re-reads the files now; false (and the old pair kept) when they do not form a valid pair. */
  reload(): boolean;
  /** Replaces the advertised client CAs (the requestheader or client CA changed). */
  setClientCAs(pem: string | undefined): void;
  /** Stops watching the files. */
  close(): void;
}

/** File names the generic apiserver uses in `--cert-dir`. */
export const SELF_SIGNED_CERT = "apiserver.crt";
export const SELF_SIGNED_KEY = "apiserver.key";

/**
 * Makes sure `certDir` holds a self-signed serving pair and returns its paths. An existing pair is reused
 * (as upstream's `MaybeDefaultWithSelfSignedCerts` does), so the caBundle of an APIService stays valid
 * across restarts.
 */
export function ensureSelfSignedCert(
  certDir: string,
  alternateNames: string[] = [],
): { certFile: string; keyFile: string; generated: boolean } {
  const certFile = join(certDir, SELF_SIGNED_CERT);
  const keyFile = join(certDir, SELF_SIGNED_KEY);
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile, generated: false };
  try {
    mkdirSync(certDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new ToolkitError(
      "INVALID_INPUT",
      "--cert-dir",
      `cannot create ${certDir}: ${(e as Error).message}`,
    );
  }
  const names = [...new Set(["localhost", "127.0.0.1", "::1", hostname(), ...alternateNames])].filter(
    Boolean,
  );
  const isIp = (s: string) => /^[0-9.]+$/.test(s) || s.includes(":");
  const san = names.map((n) => (isIp(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  const tmpCert = `${certFile}.tmp-${process.pid}`;
  const tmpKey = `${keyFile}.tmp-${process.pid}`;
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        tmpKey,
        "-out",
        tmpCert,
        "-days",
        "365",
        "-subj",
        `/CN=localhost@${Math.floor(Date.now() / 1000)}`,
        "-addext",
        `subjectAltName=${san}`,
        "-addext",
        "extendedKeyUsage=serverAuth",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    renameSync(tmpKey, keyFile);
    renameSync(tmpCert, certFile);
  } catch (e) {
    rmSync(tmpCert, { force: true });
    rmSync(tmpKey, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why =
      err.code === "ENOENT" ? "the openssl command is not installed" : (err.stderr?.toString() ?? "");
    throw new ToolkitError(
      "INVALID_INPUT",
      "--cert-dir",
      `cannot generate a self-signed certificate in ${certDir}: ${why.trim() || err.message}` +
        " (give --tls-cert-file and --tls-private-key-file instead)",
    );
  }
  return { certFile, keyFile, generated: true };
}

function readPair(certFile: string, keyFile: string, ca: string | undefined): SecureContextOptions {
  const opts: SecureContextOptions = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  if (ca) opts.ca = ca;
  // Throws "key values mismatch" and friends before a broken pair reaches a server.
  createSecureContext(opts);
  assertKeyMatchesCert(opts.cert as Buffer, opts.key as Buffer);
  return opts;
}

/**
 * Throws unless `key` is the private key of the first certificate in `cert`. OpenSSL's own check in
 * createSecureContext misses some pairs (two unrelated P-256 keys pass), and the server would then fail
 * every handshake; Go's tls.X509KeyPair refuses such a pair, and so do we.
 */
export function assertKeyMatchesCert(cert: Buffer, key: Buffer): void {
  if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key)))
    throw new Error("private key does not match public key");
}

/** Loads (or generates) the serving pair and starts watching it. Throws ToolkitError on bad flags. */
export function servingTls(opts: ServingCertOptions, log: SecurityLog = silentLog): ServingTls {
  let certFile: string;
  let keyFile: string;
  let selfSigned = false;
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile)
      throw new ToolkitError("INVALID_INPUT", "--tls-cert-file", "required with --tls-private-key-file");
    if (!opts.keyFile)
      throw new ToolkitError("INVALID_INPUT", "--tls-private-key-file", "required with --tls-cert-file");
    certFile = opts.certFile;
    keyFile = opts.keyFile;
  } else {
    const made = ensureSelfSignedCert(opts.certDir, opts.alternateNames);
    certFile = made.certFile;
    keyFile = made.keyFile;
    selfSigned = true;
    log.info(
      { certFile, keyFile },
      made.generated
        ? "generated a self-signed serving certificate"
        : "reusing the self-signed serving certificate",
    );
  }
  let clientCAs = opts.clientCAs;
  let current: SecureContextOptions;
  try {
    current = readPair(certFile, keyFile, clientCAs);
  } catch (e) {
    throw new ToolkitError(
      "INVALID_INPUT",
      "--tls-cert-file",
      `cannot load ${certFile} and ${keyFile}: ${(e as Error).message}`,
    );
  }
  const servers: TlsServer[] = [];
  const options: https.ServerOptions = {
    ...current,
    // Ask for a client certificate (front proxy, x509 users) but let the authenticators decide.
    requestCert: true,
    rejectUnauthorized: false,
  };

  const apply = () => {
    for (const s of servers) s.setSecureContext(current);
  };
  const reload = (): boolean => {
    try {
      const next = readPair(certFile, keyFile, clientCAs);
      const changed =
        !Buffer.from(next.cert as Buffer).equals(current.cert as Buffer) ||
        !Buffer.from(next.key as Buffer).equals(current.key as Buffer) ||
        next.ca !== current.ca;
      current = next;
      if (changed) {
        apply();
        log.info({ certFile }, "loaded the serving certificate");
      }
      return true;
    } catch (e) {
      log.error(
        { certFile, keyFile, err: (e as Error).message },
        "serving certificate not reloaded; keeping the old one",
      );
      return false;
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const onChange = () => {
    if (timer) clearTimeout(timer);
    // The pair is usually rewritten as two files; give the second write a moment.
    timer = setTimeout(() => {
      timer = undefined;
      reload();
    }, 200);
    timer.unref();
  };
  const interval = opts.watchIntervalMs ?? 1000;
  watchFile(certFile, { interval, persistent: false }, onChange);
  watchFile(keyFile, { interval, persistent: false }, onChange);

  return {
    options,
    certFile,
    keyFile,
    selfSigned,
    attach(server) {
      servers.push(server);
    },
    reload,
    setClientCAs(pem) {
      if (pem === clientCAs) return;
      clientCAs = pem;
      reload();
    },
    close() {
      if (timer) clearTimeout(timer);
      unwatchFile(certFile, onChange);
      unwatchFile(keyFile, onChange);
    },
  };
}
