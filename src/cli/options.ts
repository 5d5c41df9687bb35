// Option parsers shared by the commands.
import { InvalidArgumentError } from 'commander';

/** For repeatable options: `--x a --x b` -> ['a', 'b']. */
export function collectRepeated(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A whole number at least `min`, or commander's usage error. */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`needs a whole number >= ${min}, got "${value}"`);
    }
    return n;
  };
}
