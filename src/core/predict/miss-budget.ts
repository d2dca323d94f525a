/**
 * Spending a budget of missed windows across bins: each bin offers options (how many of its replay
 * windows would be served below 90 % of their actual peak, and the over-provisioning cost of the rest);
 * one option per bin is chosen so that the misses add up to at most the budget at the least total cost.
 */

/** One choice for a bin: the misses it spends and its cost. */
export interface BudgetOption {
  spend: number;
  cost: number;
}

/**
 * Index of the chosen option per bin (dynamic programming over the misses left). A bin without options
 * gets -1. Ties go to the earlier option of the earlier bin.
 */
export function allocateBudget(options: readonly (readonly BudgetOption[])[], budget: number): number[] {
  // next[left]: least cost of the bins after k with `left` misses to spend; pick[k][left]: the choice.
  let next = new Array<number>(budget + 1).fill(0);
  const pick: number[][] = [];
  for (let k = options.length - 1; k >= 0; k--) {
    const opts = options[k]!;
    const cur = new Array<number>(budget + 1).fill(opts.length === 0 ? 0 : Number.POSITIVE_INFINITY);
    const choice = new Array<number>(budget + 1).fill(-1);
    for (let left = 0; left <= budget; left++) {
      if (opts.length === 0) {
        cur[left] = next[left]!;
        continue;
      }
      for (let m = 0; m < opts.length; m++) {
        const o = opts[m]!;
        if (o.spend > left) continue;
        const c = o.cost + next[left - o.spend]!;
        if (c < cur[left]!) {
          cur[left] = c;
          choice[left] = m;
        }
      }
    }
    pick[k] = choice;
    next = cur;
  }
  const out: number[] = [];
  let left = budget;
  for (let k = 0; k < options.length; k++) {
    const m = pick[k]![left]!;
    out.push(m);
    if (m >= 0) left -= options[k]![m]!.spend;
  }
  return out;
}
