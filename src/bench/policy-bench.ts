// The command policy's cost per command: the default policy in strict mode checking each command
// line of the parser's corpus (tldr-pages, 419 lines), parse included, timed one at a time.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { PolicyEngine } from '../policy/policy-engine.js';
import { loadPolicySpec } from '../policy/policy-loader.js';
import { ShellParser } from '../shell/shell-parser.js';
import { summarize, type Summary } from './stats.js';

export const POLICY_CORPUS = fileURLToPath(new URL('../../src/shell/testdata/tldr-commands.yaml', import.meta.url));
export const POLICY_CHECK_TARGET_P50_MS = 0.2;

export interface PolicyBench {
  readonly commands: number;
  readonly rounds: number;
  readonly rules: number;
  /** Milliseconds per command line checked. */
  readonly perCommandMs: Summary | null;
  readonly note?: string;
}

export async function measurePolicyCheck(rounds = 5, corpus = POLICY_CORPUS): Promise<PolicyBench> {
  if (!existsSync(corpus)) return { commands: 0, rounds: 0, rules: 0, perCommandMs: null, note: `no corpus at ${corpus} (run from a checkout)` };
  const commands = (parse(readFileSync(corpus, 'utf8')) as { command: string }[]).map((r) => r.command);
  const parser = await ShellParser.create();
  const loaded = loadPolicySpec('default', parser);
  if (loaded.layer === null) throw new Error(`default policy does not load: ${loaded.errors.join('; ')}`);
  const engine = new PolicyEngine(parser, [{ tier: 'admin', name: 'strict mode', rules: [], mode: 'strict' }, loaded.layer]);
  for (const c of commands) engine.checkCommandLine(c); // warm the JIT and the parser's memory
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const c of commands) {
      const start = process.hrtime.bigint();
      engine.checkCommandLine(c);
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  parser.delete();
  return { commands: commands.length, rounds, rules: engine.rules.length, perCommandMs: summarize(samples) };
}

export function formatPolicyBench(b: PolicyBench): string {
  if (b.perCommandMs === null) return `policy check: not measured (${b.note ?? 'no samples'})\n`;
  const s = b.perCommandMs;
  const f = (n: number): string => n.toFixed(3);
  return (
    `policy check (default policy, strict mode, ${b.rules} rules; ${b.commands} command lines x ${b.rounds} rounds, parse included):\n` +
    `  per command  p50 ${f(s.p50)} ms  p99 ${f(s.p99)} ms  mean ${f(s.mean)} ms  max ${f(s.max)} ms  (target p50 <= ${POLICY_CHECK_TARGET_P50_MS} ms: ${s.p50 <= POLICY_CHECK_TARGET_P50_MS ? 'met' : 'missed'})\n`
  );
}
