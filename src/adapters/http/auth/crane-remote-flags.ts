/**
 * Crane metric-adapter's spelling of the remote adapter, mapped to tidescale's `--remote-adapter`.
 *
 * Crane turns forwarding on with a boolean `--remote-adapter` (`--remote-adapter=true`, or bare) and names
 * the remote Service with `--remote-adapter-service-namespace`, `--remote-adapter-service-name` and
 * `--remote-adapter-service-port` (default 6443, Crane's). tidescale takes one value: an https URL or a
 * Service reference `namespace/name:port`. This maps the first form to the second, so a Crane Deployment's
 * arguments work unchanged, and refuses mixtures that would leave it unclear which remote is meant.
 */
import { ToolkitError } from "../../../core/errors.js";
import { validateDns1035Label, validateDns1123Label } from "../../../core/labels/names.js";

/** Crane's default for `--remote-adapter-service-port`. */
export const CRANE_DEFAULT_REMOTE_PORT = 6443;

/** The remote-adapter flags as commander parses them (`--remote-adapter` bare is `true`). */
export interface CraneRemoteFlags {
  remoteAdapter?: string | boolean | undefined;
  remoteAdapterServiceNamespace?: string | undefined;
  remoteAdapterServiceName?: string | undefined;
  remoteAdapterServicePort?: string | undefined;
}

const NS_FLAG = "--remote-adapter-service-namespace";
const NAME_FLAG = "--remote-adapter-service-name";
const PORT_FLAG = "--remote-adapter-service-port";

function bad(flag: string, message: string): ToolkitError {
  return new ToolkitError("INVALID_INPUT", flag, message);
}

/** The Crane service flags that were given, in flag order. */
function givenServiceFlags(f: CraneRemoteFlags): string[] {
  const given: string[] = [];
  if (f.remoteAdapterServiceNamespace !== undefined) given.push(NS_FLAG);
  if (f.remoteAdapterServiceName !== undefined) given.push(NAME_FLAG);
  if (f.remoteAdapterServicePort !== undefined) given.push(PORT_FLAG);
  return given;
}

function servicePort(text: string | undefined): number {
  if (text === undefined) return CRANE_DEFAULT_REMOTE_PORT;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw bad(PORT_FLAG, `want a port 1-65535, got ${JSON.stringify(text)}`);
  return port;
}

function required(value: string | undefined, flag: string, validate: (v: string) => string | undefined) {
  if (value === undefined || value === "")
    throw bad(flag, "required with --remote-adapter=true (the remote adapter's Service)");
  const problem = validate(value);
  if (problem) throw bad(flag, `${JSON.stringify(value)}: ${problem}`);
  return value;
}

/**
 * The `--remote-adapter` value (an https URL or `namespace/name:port`) meant by the flags, or undefined
 * when no remote adapter is configured. Throws INVALID_INPUT naming the flag for an incomplete Crane
 * form (`--remote-adapter=true` without a Service name or namespace), Service flags without
 * `--remote-adapter=true`, or Service flags next to a URL or Service reference.
 */
export function remoteAdapterTarget(f: CraneRemoteFlags): string | undefined {
  const given = givenServiceFlags(f);
  const value = f.remoteAdapter;
  const on = value === true || value === "true";
  if (!on) {
    const first = given[0];
    if (first === undefined) return value === false || value === "false" ? undefined : value || undefined;
    if (value === undefined || value === false || value === "false")
      throw bad(first, "needs --remote-adapter=true (Crane's spelling) to take effect");
    throw bad(
      first,
      `conflicts with --remote-adapter ${value}: give either the Service flags with --remote-adapter=true, or one --remote-adapter value`,
    );
  }
  const name = required(f.remoteAdapterServiceName, NAME_FLAG, validateDns1035Label);
  const namespace = required(f.remoteAdapterServiceNamespace, NS_FLAG, validateDns1123Label);
  return `${namespace}/${name}:${servicePort(f.remoteAdapterServicePort)}`;
}
