// cli/bounded.ts: runs a step for each item with at most `concurrency` steps in flight (signals, retries).
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  step: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await step(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}
