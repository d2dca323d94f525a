/**
 * Client certificate verification for delegated authentication. The TLS server asks for a client
 * certificate but does not reject unknown ones (`requestCert: true, rejectUnauthorized: false`), so that
 * each authenticator checks the chain against its own CA bundle: the requestheader (front-proxy) CA or
 * the client CA. Mirrors client-go's x509 verifier: chain to a root in the bundle, every certificate
 * within its validity period, and the leaf usable for client authentication.
 */
import { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";

/** Splits a PEM bundle into certificates. Throws on a block that does not parse. */
export function parseCertBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

const chainCache = new WeakMap<object, X509Certificate[] | null>();

/**
 * The certificate chain the client presented on `req`'s TLS connection (leaf first), or undefined for
 * plain-HTTP connections and clients that sent no certificate. Parsed once per connection.
 */
export function peerChain(req: IncomingMessage): X509Certificate[] | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function") return undefined;
  const cached = chainCache.get(socket);
  if (cached !== undefined) return cached ?? undefined;
  const first = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  let chain: X509Certificate[] | null = null;
  if (first?.raw) {
    chain = [];
    const seen = new Set<string>();
    let cur: DetailedPeerCertificate | undefined = first;
    while (cur?.raw && !seen.has(cur.fingerprint256) && chain.length < 10) {
      seen.add(cur.fingerprint256);
      chain.push(new X509Certificate(cur.raw));
      cur = cur.issuerCertificate;
    }
  }
  chainCache.set(socket, chain);
  return chain ?? undefined;
}

export interface CertIdentity {
  /** Subject CN: the user name (client CA) or the front-proxy's name (requestheader). */
  commonName: string;
  /** Subject O values: the groups (client CA). */
  organizations: string[];
}

export type CertCheck = { ok: true; identity: CertIdentity } | { ok: false; reason: string };

const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const EKU_ANY = "2.5.29.37.0";

/** Parses Node's multi-line subject (`O=a\nCN=b`) into CN and O values. */
export function subjectIdentity(cert: X509Certificate): CertIdentity {
  let commonName = "";
  const organizations: string[] = [];
  for (const line of cert.subject.split("\n")) {
    const i = line.indexOf("=");
    if (i < 0) continue;
    const key = line.slice(0, i);
    let value = line.slice(i + 1);
    if (!value.startsWith('"')) {
      // Node escapes RFC 4514 specials with a backslash (`a\,b`).
      value = value.replace(/\\(.)/g, "$1");
    } else {
      try {
        value = JSON.parse(value) as string;
      } catch {
        // keep the raw value
      }
    }
    if (key === "CN") commonName = value;
    else if (key === "O") organizations.push(value);
  }
  return { commonName, organizations };
}

function within(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/**
 * Verifies that `chain[0]` chains to one of `roots` (through intermediates from `chain`), that every
 * certificate on the path is valid at `now`, and that the leaf allows client authentication.
 */
export function verifyClientChain(chain: X509Certificate[], roots: X509Certificate[], now: Date): CertCheck {
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: "no client certificate" };
  const id = subjectIdentity(leaf);
  const who = `certificate CN="${id.commonName}"`;
  if (roots.length === 0) return { ok: false, reason: `${who}: no CA configured` };
  if (!within(leaf, now)) return { ok: false, reason: `${who} has expired or is not yet valid` };
  const eku = leaf.keyUsage;
  if (eku && eku.length > 0 && !eku.includes(EKU_CLIENT_AUTH) && !eku.includes(EKU_ANY)) {
    return { ok: false, reason: `${who} is not valid for client authentication` };
  }
  const intermediates = chain.slice(1).filter((c) => c.ca);
  let cur = leaf;
  for (let depth = 0; depth < 8; depth++) {
    for (const root of roots) {
      if (cur.checkIssued(root) && cur.verify(root.publicKey) && within(root, now)) {
        return { ok: true, identity: id };
      }
    }
    const next = intermediates.find(
      (c) => c !== cur && cur.checkIssued(c) && cur.verify(c.publicKey) && within(c, now),
    );
    if (!next) break;
    cur = next;
  }
  return { ok: false, reason: `${who} is signed by an unknown authority` };
}
