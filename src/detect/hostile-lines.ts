// Hostile command lines for the rule engine: long repeats an agent could send to make a regex or
// the command-text layer slow. Shared by a unit test (correctness) and bench-guard (time).
/** The prefixes the built-in regexes start from with the ending they wait for never coming:
 * builtin-rules.test.ts checks the engine reads them whole, bench-guard prints how long it takes. */
export const HOSTILE_UNITS: readonly string[] = ['curl ', 'kill ', 'sed -i ', ' -i ', 'base64 -d ', '>/etc/cro', 'rm -f /var/log/', '/dev/tcp/', '-o a:1 ', '$(', '4A', '> ', 'tee -a '];

/** A 50 KB command line of one hostile unit, as argv for bash -c and for sed -i. */
export function hostileArgvs(unit: string): string[][] {
  const text = unit.repeat(Math.ceil(50_000 / unit.length));
  return [
    ['bash', '-c', text],
    ['sed', '-i', text],
  ];
}
