/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013), as vegeta's plot uses to keep a
 * chart of millions of points small while keeping its visual peaks.
 */

/**
 * Downsamples points sorted by x to at most `threshold` points. Keeps the first and last point; each
 * bucket in between contributes the point forming the largest triangle with the previous pick and the
 * next bucket's average. Returns the input when it is already small enough or threshold < 3.
 */
export function lttb(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  threshold: number,
): { x: number[]; y: number[] } {
  const n = xs.length;
  if (threshold >= n || threshold < 3) return { x: Array.from(xs), y: Array.from(ys) };
  const outX: number[] = [xs[0]!];
  const outY: number[] = [ys[0]!];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // Average of the next bucket.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j]!;
      avgY += ys[j]!;
    }
    const len = nextEnd - nextStart;
    avgX /= len;
    avgY /= len;
    // Pick the point of this bucket with the largest triangle area.
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a]!;
    const ay = ys[a]!;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (ys[j]! - ay) - (ax - xs[j]!) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    outX.push(xs[best]!);
    outY.push(ys[best]!);
    a = best;
  }
  outX.push(xs[n - 1]!);
  outY.push(ys[n - 1]!);
  return { x: outX, y: outY };
}
