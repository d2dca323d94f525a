/**
 * Kubernetes `resource.Quantity` (k8s.io/apimachinery/pkg/api/resource): parsing, canonical printing,
 * MilliValue/Value rounding and exact arithmetic.
 *
 * Values are held exactly as a bigint count of nano-units, which is lossless for every quantity the
 * upstream parser produces: the upstream fast path only accepts scales at or above nano, and the slow
 * path rounds to nano (away from zero) on parse. No float touches a value except `toNumber()`.
 */
import { err, invalidInput, ok, type Result } from "../errors.js";

/** The three notations Kubernetes keeps with a quantity (upstream `resource.Format`). */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

/** Why a quantity failed to parse: upstream ErrFormatWrong / ErrSuffix / ErrNumeric, plus empty input. */
export type QuantityErrorReason = "empty" | "format" | "suffix" | "numeric";

/** A parse failure: a reason code and a one-line message quoting the input. */
export interface QuantityParseError {
  readonly reason: QuantityErrorReason;
  readonly message: string;
}

const NANO_PER_UNIT = 1_000_000_000n;
const INT64_MAX = (1n << 63n) - 1n;
/** Upstream `maxAllowed`: the slow parse path caps magnitudes at int64 max units. */
const MAX_ALLOWED_NANOS = INT64_MAX * NANO_PER_UNIT;
/** Guard against absurd exponents (`1e999999999`) that would need gigantic bigints. */
const MAX_EXPONENT = 1000;

const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ["n", -9],
  ["u", -6],
  ["m", -3],
  ["", 0],
  ["k", 3],
  ["M", 6],
  ["G", 9],
  ["T", 12],
  ["P", 15],
  ["E", 18],
]);
const BINARY_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ["Ki", 10],
  ["Mi", 20],
  ["Gi", 30],
  ["Ti", 40],
  ["Pi", 50],
  ["Ei", 60],
]);
const DECIMAL_SUFFIX_BY_EXPONENT: ReadonlyMap<number, string> = new Map(
  [...DECIMAL_SUFFIXES].map(([s, e]) => [e, s]),
);
const BINARY_SUFFIX_BY_EXPONENT: ReadonlyMap<number, string> = new Map(
  [...BINARY_SUFFIXES].map(([s, e]) => [e, s]),
);

const SUFFIX_CHARS = "eEinumkKMGTP";
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** Divides rounding away from zero (upstream `inf.RoundUp` / `negativeScaleInt64`). */
function divAwayFromZero(value: bigint, divisor: bigint): bigint {
  const q = value / divisor;
  return value % divisor === 0n ? q : value < 0n ? q - 1n : q + 1n;
}

/** The parser's private door to the constructor (assigned in the class's static block). */
let makeQuantity: (nanos: bigint, format: QuantityFormat, text?: string) => Quantity;

/**
 * A Kubernetes resource quantity. Immutable; build one with {@link parseQuantity},
 * {@link tryParseQuantity}, {@link Quantity.fromMilli}, {@link Quantity.fromValue} or
 * {@link Quantity.fromNumber}.
 */
export class Quantity {
  /** The zero quantity (`"0"`, DecimalSI). */
  static readonly zero: Quantity = new Quantity(0n, "DecimalSI");

  private constructor(
    /** Exact value in nano-units. */
    private readonly nanos: bigint,
    /** Notation used when printing, as upstream `Quantity.Format`. */
    readonly format: QuantityFormat,
    /** Upstream caches the input text when it is already in canonical form and prints it verbatim. */
    private readonly text?: string,
  ) {}

  /** Mirrors `resource.NewMilliQuantity(milli, format)`: an exact value of `milli` thousandths. */
  static fromMilli(milli: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(toBigInt(milli, "milli") * 1_000_000n, format);
  }

  /** Mirrors `resource.NewQuantity(value, format)`: an exact whole number of units. */
  static fromValue(value: number | bigint, format: QuantityFormat = "DecimalSI"): Quantity {
    return new Quantity(toBigInt(value, "value") * NANO_PER_UNIT, format);
  }

  /** Mirrors `resource.NewScaledQuantity(value, scale)`: `value × 10^scale`, DecimalSI. */
  static fromScaled(value: number | bigint, scale: number): Quantity {
    if (!Number.isInteger(scale) || Math.abs(scale) > MAX_EXPONENT)
      throw invalidInput("quantity", `scale must be an integer in ±${MAX_EXPONENT}, got ${scale}`);
    const v = toBigInt(value, "value");
    const nanos = scale >= -9 ? v * pow10(scale + 9) : divAwayFromZero(v, pow10(-9 - scale));
    return new Quantity(nanos, "DecimalSI");
  }

  /**
   * A quantity from a float, using the shortest decimal text that round-trips the float (as `String(x)`)
   * and rounding to nano-units away from zero, as `ParseQuantity` would do with that text.
   * Throws INVALID_INPUT for NaN and infinities.
   */
  static fromNumber(x: number, format: QuantityFormat = "DecimalSI"): Quantity {
    if (!Number.isFinite(x)) throw invalidInput("quantity", `not a finite number: ${x}`);
    const { unscaled, scale } = decimalFromText(String(x));
    const nanos = toNanosAwayFromZero(unscaled, scale);
    if (format === "BinarySI" && nanos > 0n && nanos < NANO_PER_UNIT) format = "DecimalSI";
    return new Quantity(nanos, format);
  }

  static {
    makeQuantity = (nanos, format, text) =>
      text === undefined ? new Quantity(nanos, format) : new Quantity(nanos, format, text);
  }

  /** Exact value in nano-units (upstream `ScaledValue(resource.Nano)`, which is exact for every Quantity). */
  nanoValue(): bigint {
    return this.nanos;
  }

  /** Mirrors `IsZero()`. */
  isZero(): boolean {
    return this.nanos === 0n;
  }

  /** Mirrors `Sign()`: -1, 0 or 1. */
  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  /**
   * Mirrors `ScaledValue(scale)` as a bigint: the value in units of 10^scale, rounded away from zero
   * (upstream rounds up: `"0.0001"` has MilliValue 1). Exact, no int64 overflow.
   */
  scaledValueBig(scale: number): bigint {
    if (scale <= -9) return this.nanos * pow10(-9 - scale);
    return divAwayFromZero(this.nanos, pow10(scale + 9));
  }

  /**
   * Mirrors `MilliValue()`: the value in thousandths, rounded up (away from zero), as the HPA controller
   * reads every metric and target. `"200m"` → 200, `"1.5"` → 1500, `"0.0001"` → 1, `"100Mi"` → 104857600000.
   * Returned as a number; exact while |result| ≤ 2^53 (see {@link Quantity.milliValueBig}); upstream's
   * int64 result wraps beyond 2^63, ours does not. Negative values round away from zero as upstream's
   * int64 representation does (`"-1500u"` → -2); upstream's arbitrary-precision representation (only
   * for quantities parsed with more than 18 digits or fractional binary suffixes) rounds those towards
   * +∞ instead, a quirk not reproduced.
   */
  milliValue(): number {
    return Number(this.scaledValueBig(-3));
  }

  /** {@link Quantity.milliValue} as an exact bigint. */
  milliValueBig(): bigint {
    return this.scaledValueBig(-3);
  }

  /** Mirrors `Value()`: whole units, rounded up (away from zero): `"1500m"` → 2, `"1Ki"` → 1024. */
  value(): number {
    return Number(this.scaledValueBig(0));
  }

  /** {@link Quantity.value} as an exact bigint. */
  valueBig(): bigint {
    return this.scaledValueBig(0);
  }

  /** Mirrors `AsApproximateFloat64()`: the value as a float, for display and float math only. */
  toNumber(): number {
    const a = abs(this.nanos);
    const frac = (a % NANO_PER_UNIT).toString().padStart(9, "0");
    const n = Number(`${a / NANO_PER_UNIT}.${frac}`);
    return this.nanos < 0n ? -n : n;
  }

  /** Mirrors `Cmp(y)`: -1, 0 or 1. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  /** True when both quantities have the same value, whatever their notation (upstream `Equal`). */
  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** Mirrors `Add(y)`: exact sum, printed in this quantity's format (or `other`'s when this is zero). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  /** Mirrors `Sub(y)`: exact difference, printed in this quantity's format (or `other`'s when this is zero). */
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.nanos === 0n ? other.format : this.format);
  }

  /** Mirrors `Neg()`. */
  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** The same value printed in another format (upstream: set `q.Format` and drop the cached string). */
  withFormat(format: QuantityFormat): Quantity {
    return new Quantity(this.nanos, format);
  }

  /**
   * Mirrors `RoundUp(scale)`: the value rounded away from zero to a multiple of 10^scale (scale ≥ -9),
   * and whether that was exact. `parseQuantity("1001u").roundUp(-3)` → `2m`, not exact.
   */
  roundUp(scale: number): { quantity: Quantity; exact: boolean } {
    if (scale <= -9) return { quantity: new Quantity(this.nanos, this.format), exact: true };
    const unit = pow10(scale + 9);
    const nanos = divAwayFromZero(this.nanos, unit) * unit;
    return { quantity: new Quantity(nanos, this.format), exact: nanos === this.nanos };
  }

  /**
   * Mirrors `String()`: the text Kubernetes prints and serialises. Upstream returns the parsed text
   * unchanged when it was already canonical at parse time; otherwise this is {@link Quantity.canonical}.
   */
  toString(): string {
    return this.text ?? this.canonical();
  }

  /** Mirrors JSON marshalling: a quantity is a JSON string. */
  toJSON(): string {
    return this.toString();
  }

  /**
   * Mirrors `CanonicalizeBytes`: strips trailing zeros into the exponent, lowers the exponent to a
   * multiple of 3 and adds the suffix of the format: `1000m` → `1`, `0.5` → `500m`, `1024Mi` → `1Gi`,
   * `1e3` → `1e3`. BinarySI values below 1024 in magnitude, or not whole units, print as DecimalSI.
   */
  canonical(): string {
    if (this.nanos === 0n) return "0";
    let format = this.format;
    if (format === "BinarySI") {
      if (abs(this.nanos) < 1024n * NANO_PER_UNIT || this.nanos % NANO_PER_UNIT !== 0n) format = "DecimalSI";
      else {
        let units = this.nanos / NANO_PER_UNIT;
        let exp = 0;
        while (units % 1024n === 0n && exp < 60) {
          units /= 1024n;
          exp += 10;
        }
        return `${units}${BINARY_SUFFIX_BY_EXPONENT.get(exp) ?? ""}`;
      }
    }
    let mantissa = this.nanos;
    let exponent = -9;
    while (mantissa % 10n === 0n) {
      mantissa /= 10n;
      exponent++;
    }
    // Lower the exponent to a multiple of 3 (Go's % keeps the sign, so 1/-2 → ×10, 2/-1 → ×100).
    const rem = ((exponent % 3) + 3) % 3;
    mantissa *= pow10(rem);
    exponent -= rem;
    if (format === "DecimalExponent") return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
    // DecimalSI has no suffix above E (10^18): keep the mantissa larger instead.
    if (exponent > 18) {
      mantissa *= pow10(exponent - 18);
      exponent = 18;
    }
    return `${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) ?? ""}`;
  }
}

function toBigInt(n: number | bigint, what: string): bigint {
  if (typeof n === "bigint") return n;
  if (!Number.isSafeInteger(n)) throw invalidInput("quantity", `${what} must be a safe integer, got ${n}`);
  return BigInt(n);
}

/** Parses `[+-]digits[.digits][e[+-]digits]` (JS number text) into unscaled × 10^-scale. */
function decimalFromText(text: string): { unscaled: bigint; scale: number } {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) throw invalidInput("quantity", `not a decimal number: ${text}`);
  const intPart = m[2] ?? "";
  const frac = m[3] ?? "";
  const digits = `${intPart}${frac}` || "0";
  let unscaled = BigInt(digits);
  if (m[1] === "-") unscaled = -unscaled;
  return { unscaled, scale: frac.length - Number(m[4] ?? "0") };
}

/** unscaled × 10^-scale in nano-units, rounded away from zero (upstream rounds to Nano with RoundUp). */
function toNanosAwayFromZero(unscaled: bigint, scale: number): bigint {
  if (unscaled === 0n) return 0n;
  const shift = 9 - scale; // nanos = unscaled × 10^shift
  if (shift >= 0) return unscaled * pow10(shift);
  // Anything smaller than one nano-unit rounds to ±1n; avoid building huge divisors.
  if (-shift > unscaled.toString().length + 1) return unscaled < 0n ? -1n : 1n;
  return divAwayFromZero(unscaled, pow10(-shift));
}

interface QuantityParts {
  positive: boolean;
  /** The numeric text up to the suffix (sign and leading zeros included), upstream `value`. */
  value: string;
  /** Integer digits without leading zeros ("0" when none). */
  num: string;
  /** Fraction digits. */
  denom: string;
  suffix: string;
}

/** Splits text as upstream `parseQuantityString` does; returns undefined on ErrFormatWrong. */
function splitQuantity(str: string): QuantityParts | undefined {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") pos++;

  while (str[pos] === "0") pos++;
  if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };

  let i = pos;
  while (isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, value: str, num: num || "0", denom: "", suffix: "" };
  pos = i;
  if (num === "") num = "0";

  let denom = "";
  if (str[pos] === ".") {
    pos++;
    i = pos;
    while (isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: "" };
    pos = i;
  }
  const value = str.slice(0, pos);

  const suffixStart = pos;
  i = pos;
  while (i < end && SUFFIX_CHARS.includes(str[i]!)) i++;
  if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === "-" || str[pos] === "+") pos++;
  i = pos;
  while (isDigit(str[i])) i++;
  if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  return undefined;
}

/** Upstream `suffixHandler.interpret`: base, exponent and format of a suffix. */
function interpretSuffix(
  suffix: string,
): { base: 10 | 2; exponent: number; format: QuantityFormat } | { error: string } {
  const dec = DECIMAL_SUFFIXES.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: "DecimalSI" };
  const bin = BINARY_SUFFIXES.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E")) {
    const expText = suffix.slice(1);
    if (/^[+-]?\d+$/.test(expText)) {
      const exponent = Number(expText);
      if (Math.abs(exponent) > 2 ** 31 - 1) return { error: `exponent ${expText} is out of range` };
      return { base: 10, exponent, format: "DecimalExponent" };
    }
  }
  return {
    error: `unknown suffix "${suffix}" (use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`,
  };
}

/**
 * Parses a quantity exactly as `resource.ParseQuantity` does, without throwing.
 *
 * Accepts an optional sign, digits with an optional fraction (`1.5`, `.5`, `5.`), then an optional
 * decimal SI suffix (n u m k M G T P E), binary suffix (Ki Mi Gi Ti Pi Ei) or exponent (`e3`, `E-2`).
 * Values finer than nano are rounded away from zero to 1n; slow-path values (more than 18 digits,
 * fractional binary) are capped at 2^63-1 units, as upstream.
 *
 * Deliberate differences from upstream: text without any digit (`Ki`, `-`, `.`), which upstream
 * reads as zero, is rejected (Kubernetes' published OpenAPI pattern for quantities rejects it too), and
 * exponents beyond ±1000 (upstream keeps `1e999999` as an int64 mantissa with a huge scale) are rejected.
 */
export function tryParseQuantity(text: string): Result<Quantity, QuantityParseError> {
  const fail = (reason: QuantityErrorReason, what: string) =>
    err({ reason, message: `invalid quantity "${text}": ${what}` });
  if (text.length === 0) return err({ reason: "empty", message: "invalid quantity: empty string" });
  if (text === "0") return ok(makeQuantity(0n, "DecimalSI", "0"));

  const parts = splitQuantity(text);
  if (!parts)
    return fail("format", "expected a number with an optional suffix such as 500m, 1.5, 2Gi or 1e3");
  const { positive, value, num, denom, suffix } = parts;
  if (!/\d/.test(text.slice(0, text.length - suffix.length)))
    return fail("format", "no digits before the suffix");

  const interpreted = interpretSuffix(suffix);
  if ("error" in interpreted) return fail("suffix", interpreted.error);
  const { base, exponent } = interpreted;
  let format = interpreted.format;
  if (exponent > MAX_EXPONENT) return fail("numeric", `exponent ${exponent} is too large`);

  // Upstream fast path: an int64 mantissa with a decimal scale no finer than nano.
  let precision: number;
  let scale = 0;
  let mantissa = 1n;
  if (base === 10) {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  } else if (denom.length === 0) {
    mantissa = 1n << BigInt(exponent);
    precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else precision = -1;

  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      const digits = BigInt(shifted);
      const product = digits * mantissa;
      if (product <= INT64_MAX) {
        const result = positive ? product : -product;
        const nanos = result * pow10(scale + 9);
        const canonicalText =
          base === 2
            ? exponent % 10 === 0 && (digits & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
        return ok(makeQuantity(nanos, format, canonicalText ? text : undefined));
      }
    }
  }

  // Upstream slow path: arbitrary precision, rounded to nano away from zero, capped at int64 max units.
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value);
  if (!m) return fail("numeric", "cannot read the numeric part");
  const frac = m[3] ?? "";
  let unscaled = BigInt(`${m[2] ?? ""}${frac}` || "0");
  let decScale = frac.length;
  if (base === 10) decScale -= exponent;
  else unscaled *= 1n << BigInt(exponent);
  let magnitude = toNanosAwayFromZero(unscaled, decScale);
  if (magnitude > MAX_ALLOWED_NANOS) magnitude = MAX_ALLOWED_NANOS;
  if (format === "BinarySI" && magnitude > 0n && magnitude < NANO_PER_UNIT) format = "DecimalSI";
  const negative = m[1] === "-" && magnitude !== 0n;
  return ok(makeQuantity(negative ? -magnitude : magnitude, format));
}

/**
 * Parses a quantity as `resource.ParseQuantity` does (see {@link tryParseQuantity});
 * throws INVALID_INPUT naming `where` (a field path or flag) when the text is malformed.
 */
export function parseQuantity(text: string, where: string): Quantity {
  const r = tryParseQuantity(text);
  if (!r.ok) throw invalidInput(where, r.error.message);
  return r.value;
}

/**
 * Reads a quantity field of a decoded JSON/YAML object as upstream `Quantity.UnmarshalJSON` does: a
 * string (surrounding whitespace trimmed) or a number (its shortest decimal text, so `averageValue: 100`
 * and `averageValue: "100"` are the same). Anything else, or malformed text, throws INVALID_INPUT at `where`.
 */
export function parseQuantityValue(value: unknown, where: string): Quantity {
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw invalidInput(where, `invalid quantity: ${value} is not a finite number`);
    return parseQuantity(String(value), where);
  }
  if (typeof value === "string") return parseQuantity(value.trim(), where);
  throw invalidInput(
    where,
    `expected a quantity such as "500m", "1.5" or "2Gi", got ${value === null ? "null" : typeof value}`,
  );
}

/**
 * The text prometheus-adapter puts on the wire for a sample value:
 * `NewMilliQuantity(int64(v*1000), format).String()`. The float product is truncated toward zero, so
 * float artefacts leak through (`1.005` → `"1004m"`, `64.1` → `"64099m"`); NaN gives `"0"`.
 * Products beyond int64 behave as Go on amd64 (the conversion yields the minimum int64).
 */
export function formatMetricValue(value: number, format: "DecimalSI" | "BinarySI" = "DecimalSI"): string {
  return metricValueQuantity(value, format).toString();
}

/** The quantity behind {@link formatMetricValue}: `NewMilliQuantity(int64(v*1000), format)`. */
export function metricValueQuantity(value: number, format: "DecimalSI" | "BinarySI" = "DecimalSI"): Quantity {
  if (Number.isNaN(value)) return Quantity.zero;
  const product = value * 1000;
  let milli: bigint;
  if (!Number.isFinite(product) || Math.abs(product) >= 2 ** 63) milli = -(1n << 63n);
  else milli = BigInt(Math.trunc(product));
  return Quantity.fromMilli(milli, format);
}
