/**
 * Discrete Fourier transform of any length: recursive mixed-radix Cooley-Tukey for lengths whose prime
 * factors are small (Crane's windows are whole days or weeks, e.g. 20160 = 2^6 * 3^2 * 5 * 7), and
 * Bluestein's chirp-z algorithm otherwise. Crane uses gonum's FFT, which also accepts any length, so the
 * bins (and therefore the candidate periods N/k) are the same.
 */

const MAX_DIRECT_RADIX = 64;

/** Prime factors of n in increasing order. */
function primeFactors(n: number): number[] {
  const out: number[] = [];
  let m = n;
  for (let p = 2; p * p <= m; p++) {
    while (m % p === 0) {
      out.push(p);
      m /= p;
    }
  }
  if (m > 1) out.push(m);
  return out;
}

/**
 * In-place forward (or inverse, unscaled) DFT of the complex sequence (re, im).
 * Forward: X[k] = sum x[j] e^{-2 pi i jk/N}. Inverse: the same with +i; divide by N yourself.
 */
export function dft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n <= 1) return;
  const factors = primeFactors(n);
  if (factors[factors.length - 1]! > MAX_DIRECT_RADIX) {
    bluestein(re, im, inverse);
    return;
  }
  const sign = inverse ? 1 : -1;
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const a = (2 * Math.PI * j) / n;
    cos[j] = Math.cos(a);
    sin[j] = sign * Math.sin(a);
  }
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  const tmpRe = new Float64Array(factors[factors.length - 1]!);
  const tmpIm = new Float64Array(tmpRe.length);
  const rec = (offset: number, stride: number, len: number, out: number, fi: number): void => {
    if (len === 1) {
      outRe[out] = re[offset]!;
      outIm[out] = im[offset]!;
      return;
    }
    const p = factors[fi]!;
    const m = len / p;
    for (let r = 0; r < p; r++) rec(offset + r * stride, stride * p, m, out + r * m, fi + 1);
    // Twiddle W_len^j = W_n^(j * n/len).
    const tw = n / len;
    for (let k = 0; k < m; k++) {
      for (let q = 0; q < p; q++) {
        const kk = k + q * m;
        let sr = 0;
        let si = 0;
        for (let r = 0; r < p; r++) {
          const xr = outRe[out + r * m + k]!;
          const xi = outIm[out + r * m + k]!;
          const idx = (((r * kk) % len) * tw) % n;
          const c = cos[idx]!;
          const s = sin[idx]!;
          sr += xr * c - xi * s;
          si += xr * s + xi * c;
        }
        tmpRe[q] = sr;
        tmpIm[q] = si;
      }
      for (let q = 0; q < p; q++) {
        outRe[out + k + q * m] = tmpRe[q]!;
        outIm[out + k + q * m] = tmpIm[q]!;
      }
    }
  };
  rec(0, 1, n, 0, 0);
  re.set(outRe);
  im.set(outIm);
}

function bluestein(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  let m = 1;
  while (m < 2 * n - 1) m *= 2;
  const sign = inverse ? 1 : -1;
  const wr = new Float64Array(n);
  const wi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const a = (Math.PI * ((k * k) % (2 * n))) / n;
    wr[k] = Math.cos(a);
    wi[k] = sign * Math.sin(a);
  }
  const ar = new Float64Array(m);
  const ai = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    ar[k] = re[k]! * wr[k]! - im[k]! * wi[k]!;
    ai[k] = re[k]! * wi[k]! + im[k]! * wr[k]!;
  }
  const br = new Float64Array(m);
  const bi = new Float64Array(m);
  br[0] = wr[0]!;
  bi[0] = -wi[0]!;
  for (let k = 1; k < n; k++) {
    br[k] = br[m - k] = wr[k]!;
    bi[k] = bi[m - k] = -wi[k]!;
  }
  dft(ar, ai);
  dft(br, bi);
  for (let k = 0; k < m; k++) {
    const r = ar[k]! * br[k]! - ai[k]! * bi[k]!;
    const i = ar[k]! * bi[k]! + ai[k]! * br[k]!;
    ar[k] = r;
    ai[k] = i;
  }
  dft(ar, ai, true);
  for (let k = 0; k < n; k++) {
    const r = ar[k]! / m;
    const i = ai[k]! / m;
    re[k] = r * wr[k]! - i * wi[k]!;
    im[k] = r * wi[k]! + i * wr[k]!;
  }
}

/** |X_k| for k = 0..N-1 of a real sequence. */
export function magnitudes(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const re = Float64Array.from(x);
  const im = new Float64Array(n);
  dft(re, im);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = Math.hypot(re[k]!, im[k]!);
  return out;
}

/**
 * Magnitude spectra of two real sequences of the same length with one complex DFT
 * (z = x + i y; X_k = (Z_k + conj Z_{N-k}) / 2, Y_k = (Z_k - conj Z_{N-k}) / 2i).
 */
export function magnitudesPair(x: ArrayLike<number>, y: ArrayLike<number>): [Float64Array, Float64Array] {
  const n = x.length;
  const re = Float64Array.from(x);
  const im = Float64Array.from(y);
  dft(re, im);
  const mx = new Float64Array(n);
  const my = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const j = (n - k) % n;
    const zr = re[k]!;
    const zi = im[k]!;
    const cr = re[j]!;
    const ci = -im[j]!;
    mx[k] = Math.hypot((zr + cr) / 2, (zi + ci) / 2);
    // (Z - conj Z') / 2i = ((zi - ci) / 2) - i ((zr - cr) / 2)
    my[k] = Math.hypot((zi - ci) / 2, (zr - cr) / 2);
  }
  return [mx, my];
}

/**
 * Circular autocorrelation of a real series, as Crane computes it: standardise (z-score), DFT, squared
 * magnitudes, inverse DFT, divide by N. acf[0] is 1 for a non-constant series.
 */
export function circularAcf(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i]! - mean) ** 2;
  const sd = Math.sqrt(v / n);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  if (sd === 0) return re;
  for (let i = 0; i < n; i++) re[i] = (x[i]! - mean) / sd;
  dft(re, im);
  for (let k = 0; k < n; k++) {
    re[k] = re[k]! * re[k]! + im[k]! * im[k]!;
    im[k] = 0;
  }
  dft(re, im, true);
  for (let k = 0; k < n; k++) re[k] = re[k]! / n / n;
  return re;
}
