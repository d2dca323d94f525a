/**
 * Kubernetes object-name rules (k8s.io/apimachinery/pkg/util/validation and
 * k8s.io/apimachinery/pkg/api/validation/path), with upstream's messages. Each validator returns the
 * first problem, or undefined when the name is valid.
 */

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

const DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?";

const DNS1123_LABEL = new RegExp(`^${DNS1123_LABEL_FMT}$`);
/** RFC 1123 subdomain (lower case), as `validation.IsDNS1123Subdomain` checks it (length aside). */
export const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1035_LABEL = new RegExp(`^${DNS1035_LABEL_FMT}$`);

const tooLong = (max: number) => `must be no more than ${max} characters`;

/** `validation.IsDNS1123Label`: namespaces, and most name parts. */
export function validateDns1123Label(value: string): string | undefined {
  if (value.length > DNS1123_LABEL_MAX) return tooLong(DNS1123_LABEL_MAX);
  if (!DNS1123_LABEL.test(value))
    return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '${DNS1123_LABEL_FMT}')`;
  return undefined;
}

/** `validation.IsDNS1123Subdomain`: the name rule of pods, nodes, deployments and custom resources. */
export function validateDns1123Subdomain(value: string): string | undefined {
  if (value.length > DNS1123_SUBDOMAIN_MAX) return tooLong(DNS1123_SUBDOMAIN_MAX);
  if (!DNS1123_SUBDOMAIN.test(value))
    return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${DNS1123_SUBDOMAIN_FMT}')`;
  return undefined;
}

/** `validation.IsDNS1035Label`: the name rule of services. */
export function validateDns1035Label(value: string): string | undefined {
  if (value.length > DNS1123_LABEL_MAX) return tooLong(DNS1123_LABEL_MAX);
  if (!DNS1035_LABEL.test(value))
    return `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '${DNS1035_LABEL_FMT}')`;
  return undefined;
}

/**
 * `path.IsValidPathSegmentName` (the name rule of HorizontalPodAutoscalers and of HPA metric names), made
 * stricter for what the adapter takes from a URL: also no control characters or whitespace, and at most
 * 253 characters.
 */
export function validatePathSegmentName(value: string): string | undefined {
  if (value === "") return "must not be empty";
  if (value === "." || value === "..") return `may not be '${value}'`;
  if (value.includes("/")) return "may not contain '/'";
  if (value.includes("%")) return "may not contain '%'";
  if (value.length > DNS1123_SUBDOMAIN_MAX) return tooLong(DNS1123_SUBDOMAIN_MAX);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(value))
    return "may not contain whitespace or control characters";
  return undefined;
}
