// Polls a loader every few seconds while the page is shown; errors are kept, not thrown.
import { useEffect, useState } from 'preact/hooks';

export function usePoll<T>(load: () => Promise<T>, ms: number, deps: unknown[]): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const run = (): void => {
      load().then(
        (d) => {
          if (!stopped) {
            setData(d);
            setError(null);
          }
        },
        (err: unknown) => {
          if (!stopped) setError(err instanceof Error ? err.message : String(err));
        },
      );
    };
    run();
    const timer = ms > 0 ? setInterval(run, ms) : null;
    return () => {
      stopped = true;
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
