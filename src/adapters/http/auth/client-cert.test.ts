import { X509Certificate } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupPki, makeCA, makeCert } from "../../../../test/support/pki.js";
import { parseCertBundle, subjectIdentity, verifyClientChain } from "./client-cert.js";

afterAll(() => cleanupPki());

const x = (pem: string) => new X509Certificate(pem);

describe("verifyClientChain (x509 client verification)", () => {
  const root = makeCA("root");
  const other = makeCA("other");
  const leaf = makeCert(root, { cn: "alice", o: ["dev", "ops"], usage: "client" });
  const now = () => new Date();

  it("accepts a certificate signed by a root in the bundle and returns CN and O", () => {
    expect(verifyClientChain([x(leaf.cert)], parseCertBundle(`${other.cert}\n${root.cert}`), now())).toEqual({
      ok: true,
      identity: { commonName: "alice", organizations: ["dev", "ops"] },
    });
  });

  it("follows intermediates the client sent", () => {
    const mid = makeCert(root, { cn: "intermediate", intermediate: true });
    const viaMid = makeCert(mid, { cn: "bob", usage: "client" });
    expect(verifyClientChain([x(viaMid.cert)], parseCertBundle(root.cert), now()).ok).toBe(false);
    expect(verifyClientChain([x(viaMid.cert), x(mid.cert)], parseCertBundle(root.cert), now())).toMatchObject(
      {
        ok: true,
        identity: { commonName: "bob" },
      },
    );
  });

  it("rejects unknown authorities, expired certificates and server-only certificates", () => {
    expect(verifyClientChain([x(leaf.cert)], parseCertBundle(other.cert), now())).toEqual({
      ok: false,
      reason: 'certificate CN="alice" is signed by an unknown authority',
    });
    const later = new Date(Date.now() + 400 * 86_400_000);
    expect(verifyClientChain([x(leaf.cert)], parseCertBundle(root.cert), later)).toMatchObject({
      ok: false,
      reason: expect.stringContaining("expired"),
    });
    const server = makeCert(root, { cn: "web", usage: "server" });
    expect(verifyClientChain([x(server.cert)], parseCertBundle(root.cert), now())).toMatchObject({
      ok: false,
      reason: expect.stringContaining("not valid for client authentication"),
    });
    expect(verifyClientChain([x(leaf.cert)], [], now()).ok).toBe(false);
  });

  it("parses subjects with special characters", () => {
    const odd = makeCert(root, {
      cn: "system:node:n1",
      o: ["system:nodes", "a,b", "x=y+z"],
      usage: "client",
    });
    expect(subjectIdentity(x(odd.cert))).toEqual({
      commonName: "system:node:n1",
      organizations: ["system:nodes", "a,b", "x=y+z"],
    });
  });
});
