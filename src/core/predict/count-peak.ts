/**
 * The window peak of a count series (whole numbers of events per step): when slot i of a window holds
 * Poisson(lambda_i) events, the window's peak is the maximum of independent Poisson draws, whose
 * distribution is exact and cheap:
 *
 *     P(max <= c) = product over the slots of P(Poisson(lambda_i) <= c)
 *
 * The forecast rate is itself uncertain (a day busier than its analogs), and that error is shared by every
 * slot of the window, so the rates are scaled by one common factor u = exp(sigma x - sigma^2 / 2) with
 * x standard normal (mean 1): P(max <= c) = E_u[product of P(Poisson(u lambda_i) <= c)], the expectation
 * taken with a 5-point Gauss-Hermite rule. sigma = 0 is the plain Poisson maximum.
 *
 * Pure: rates in, counts out.
 */

/** Nodes and weights of the 5-point Gauss-Hermite rule for a standard normal variable (weights sum to 1). */
const GH_NODES = [-2.856970013872806, -1.355626179974266, 0, 1.355626179974266, 2.856970013872806];
const GH_WEIGHTS = [
  0.011257411327720691, 0.22207592200561266, 0.5333333333333333, 0.22207592200561266, 0.011257411327720691,
];

/** Never tabulate more counts than this (the quantile asked for is then this value: a very busy series). */
export const MAX_COUNT = 100_000;

/**
 * The distribution of the maximum of independent Poisson(u x rates[i]) draws, u the common rate factor
 * described above: `cdf[c]` = P(max <= c), tabulated until it reaches `upTo` or c reaches `maxCount`.
 * Non-finite or negative rates count as 0 (a slot without events).
 */
export function poissonMaxCdf(
  rates: ArrayLike<number>,
  sigma = 0,
  upTo = 0.999,
  maxCount = MAX_COUNT,
): number[] {
  const factors = sigma > 0 ? GH_NODES.map((x) => Math.exp(sigma * x - (sigma * sigma) / 2)) : [1];
  const weights = sigma > 0 ? GH_WEIGHTS : [1];
  const slots = factors.map((u) => poissonSlots(rates, u));
  const cdf: number[] = [];
  // A mixture point whose P(max <= c) has reached 1 (to 1e-12) stays there: it is not advanced again.
  const done = slots.map(() => false);
  for (let c = 0; ; c++) {
    let g = 0;
    for (let k = 0; k < slots.length; k++) {
      const p = done[k] ? 1 : advance(slots[k]!, c);
      if (p >= 1 - 1e-12) done[k] = true;
      g += weights[k]! * p;
    }
    cdf.push(Math.min(1, g));
    if (g >= upTo || c >= Math.min(maxCount, MAX_COUNT)) return cdf;
  }
}

/** Rates above this are stepped in log space (exp(-rate) would underflow). */
const LOG_SPACE_RATE = 600;

/**
 * Per slot of one mixture point: the rate, P(X = c) and P(X <= c); slots whose rate is over
 * LOG_SPACE_RATE are kept apart with log P(X = c) (rare: a count series has small counts).
 */
interface PoissonSlots {
  rate: Float64Array;
  pmf: Float64Array;
  cum: Float64Array;
  big: { rate: Float64Array; logPmf: Float64Array; cum: Float64Array };
}

function poissonSlots(rates: ArrayLike<number>, u: number): PoissonSlots {
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < rates.length; i++) {
    const r = rates[i]! * u;
    if (r > 0 && Number.isFinite(r)) (r > LOG_SPACE_RATE ? large : small).push(r);
  }
  const rate = Float64Array.from(small);
  const big = Float64Array.from(large);
  return {
    rate,
    pmf: rate.map((l) => Math.exp(-l)),
    cum: rate.map((l) => Math.exp(-l)),
    big: { rate: big, logPmf: big.map((l) => -l), cum: new Float64Array(big.length) },
  };
}

/**
 * Moves every slot from count c - 1 to count c (P(X = c) = P(X = c - 1) x rate / c; nothing to move at
 * c = 0) and returns the product of P(X <= c) over the slots.
 */
function advance(s: PoissonSlots, c: number): number {
  const { rate, pmf, cum, big } = s;
  let prod = 1;
  if (c === 0) {
    for (let i = 0; i < cum.length; i++) prod *= cum[i]!;
    return big.rate.length > 0 ? 0 : prod;
  }
  const inv = 1 / c;
  for (let i = 0; i < rate.length; i++) {
    const p = pmf[i]! * rate[i]! * inv;
    pmf[i] = p;
    const v = cum[i]! + p;
    cum[i] = v;
    prod *= v;
  }
  for (let i = 0; i < big.rate.length; i++) {
    big.logPmf[i] = big.logPmf[i]! + Math.log(big.rate[i]! * inv);
    big.cum[i] = big.cum[i]! + Math.exp(big.logPmf[i]!);
    prod *= big.cum[i]!;
  }
  return Math.min(1, prod);
}

/** The smallest count c with cdf[c] >= level (the last tabulated count when none reaches it). */
export function countQuantile(cdf: readonly number[], level: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  if (cdf[hi]! < level) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! >= level) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The level-quantile of the maximum of Poisson(rates[i]) draws (see poissonMaxCdf for sigma). */
export function poissonMaxQuantile(rates: ArrayLike<number>, level: number, sigma = 0): number {
  return countQuantile(poissonMaxCdf(rates, sigma, level), level);
}
