// Map element text: a slot table becomes "from-to : value" runs (consecutive equal slots merged, so
// an interval map stays small).

/** Runs of equal values: [from, to, value] with to >= from. */
export function runs<T>(slots: readonly T[]): [number, number, T][] {
  const out: [number, number, T][] = [];
  slots.forEach((value, k) => {
    const last = out[out.length - 1];
    if (last !== undefined && last[2] === value && last[1] === k - 1) last[1] = k;
    else out.push([k, k, value]);
  });
  return out;
}

/** "0-3 : a, 4 : b" for slots, one element per run. */
export function slotElements(slots: readonly string[]): string[] {
  return runs(slots).map(([from, to, value]) => `${from === to ? from : `${from}-${to}`} : ${value}`);
}
