// The policy engine: decides allow, ask or deny for a command line, an exec's argv, a file written
// or read, or a network target, before anything runs. Each simple command is decided on its own
// (tiers admin > project > task: the highest tier with a matching rule decides, the most
// restrictive of its rules wins); the command line gets the most restrictive of its commands. What
// the parser can not resolve, or a rule can only maybe match, falls to the unknown-command rule.
import type { ShellParser } from '../shell/shell-parser.js';
import { renderCommand, type ShellAnalysis, type SimpleCommand } from '../shell/shell-types.js';
import { MAYBE, YES, type Tri } from './policy-matchers.js';
import { SANDBOX_CWD, SANDBOX_HOME, type CompiledPolicyRule, type RuleRef } from './policy-rule.js';
import { TIERS, stricter, type Decision, type Tier } from './policy-schema.js';

export type PolicyMode = 'ask' | 'strict';

/** The rules of one tier, as loaded from a policy and its presets. */
export interface PolicyLayer {
  readonly tier: Tier;
  readonly name: string;
  readonly rules: readonly CompiledPolicyRule[];
  readonly mode?: PolicyMode | undefined;
  /** What a command gets when no rule matches it (allow when no layer says). */
  readonly default?: Decision | undefined;
  /** What a command praetor can not resolve gets; from the mode when absent. */
  readonly unknown?: Decision | undefined;
}

export interface VerdictPart {
  /** The simple command (rendered), path or host:port this part is about. */
  readonly target: string;
  readonly decision: Decision;
  readonly rule: RuleRef | null;
}

export interface PolicyVerdict {
  readonly decision: Decision;
  /** The rule behind the decision; null when no rule matched and the default applied. */
  readonly rule: RuleRef | null;
  /** Shown to the agent when it is refused. */
  readonly reason: string;
  readonly parts: readonly VerdictPart[];
}

export interface CheckContext {
  /** The sandbox's environment: variables a command line may use before they are set. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** An exec's stdin, when praetor gives it: a shell reading it is parsed. */
  readonly stdin?: string;
}

export const UNKNOWN_RULE_ID = 'unknown-command';

const TIER_ORDER: readonly Tier[] = TIERS;

export class PolicyEngine {
  readonly mode: PolicyMode;
  private readonly defaultDecision: Decision;
  private readonly unknownDecision: Decision;
  private readonly byTier: ReadonlyMap<Tier, readonly CompiledPolicyRule[]>;

  constructor(
    private readonly parser: ShellParser,
    readonly layers: readonly PolicyLayer[],
  ) {
    // a lower tier may only tighten these: the strictest given wins
    this.mode = layers.some((l) => l.mode === 'strict') ? 'strict' : 'ask';
    this.defaultDecision = layers.reduce<Decision>((d, l) => (l.default ? stricter(d, l.default) : d), 'allow');
    const given = layers.flatMap((l) => (l.unknown ? [l.unknown] : []));
    this.unknownDecision = this.mode === 'strict' ? 'deny' : given.length > 0 ? given.reduce(stricter) : 'ask';
    const byTier = new Map<Tier, CompiledPolicyRule[]>();
    for (const layer of layers) byTier.set(layer.tier, [...(byTier.get(layer.tier) ?? []), ...layer.rules]);
    this.byTier = byTier;
  }

  get rules(): CompiledPolicyRule[] {
    return TIER_ORDER.flatMap((t) => [...(this.byTier.get(t) ?? [])]);
  }

  /** What a command praetor can not resolve gets. */
  get unknown(): Decision {
    return this.unknownDecision;
  }

  /** A `bash -c` command line (the bash tool). */
  checkCommandLine(script: string, ctx: CheckContext = {}): PolicyVerdict {
    return this.checkAnalysis(this.parser.analyzeScript(script, this.parseOptions(ctx)), ctx);
  }

  /** An exec's argv: the program itself, and whatever it starts (`bash -c`, wrappers). */
  checkArgv(argv: readonly string[], ctx: CheckContext = {}): PolicyVerdict {
    return this.checkAnalysis(this.parser.analyzeArgv(argv, this.parseOptions(ctx)), ctx);
  }

  checkAnalysis(analysis: ShellAnalysis, ctx: CheckContext = {}): PolicyVerdict {
    const cwd = ctx.cwd ?? SANDBOX_CWD;
    const parts: VerdictPart[] = analysis.commands.map((cmd) => this.decideCommand(cmd, cwd));
    for (const u of analysis.unknown) parts.push(this.unknownPart(u.reason, u.source));
    return combine(parts, this.defaultDecision);
  }

  checkWrite(path: string): PolicyVerdict {
    return combine([this.decideOne(path, (r) => (r.kind === 'write' && r.path(path) ? YES : 0))], this.defaultDecision);
  }

  checkRead(path: string): PolicyVerdict {
    return combine([this.decideOne(path, (r) => (r.kind === 'read' && r.path(path) ? YES : 0))], this.defaultDecision);
  }

  checkNetwork(host: string, port: number | null): PolicyVerdict {
    const target = port === null ? host : `${host}:${port}`;
    return combine([this.decideOne(target, (r) => (r.kind === 'network' && r.network(host, port) ? YES : 0))], this.defaultDecision);
  }

  private parseOptions(ctx: CheckContext): { env: Readonly<Record<string, string>>; stdin?: string } {
    return { env: { HOME: SANDBOX_HOME, ...ctx.env }, ...(ctx.stdin !== undefined ? { stdin: ctx.stdin } : {}) };
  }

  private unknownPart(reason: string, source: string, atStake: RuleRef | null = null): VerdictPart {
    return {
      target: source,
      decision: this.unknownDecision,
      rule: {
        id: UNKNOWN_RULE_ID,
        decision: this.unknownDecision,
        reason: `praetor can not tell before it runs what this does (${reason}): ${source.length > 120 ? `${source.slice(0, 120)}…` : source}`,
        // the technique of the rule it may match is what is at stake
        technique: atStake?.technique ?? null,
        tier: 'admin',
        policy: 'built-in',
      },
    };
  }

  private decideCommand(cmd: SimpleCommand, cwd: string): VerdictPart {
    return this.decideOne(renderCommand(cmd), (r) => r.command(cmd, cwd));
  }

  /** The highest tier with a matching rule decides; a rule that only may match sends it to the unknown rule. */
  private decideOne(target: string, match: (rule: CompiledPolicyRule) => Tri): VerdictPart {
    for (const tier of TIER_ORDER) {
      let decided: RuleRef | null = null;
      let maybe: RuleRef | null = null;
      for (const rule of this.byTier.get(tier) ?? []) {
        const t = match(rule);
        if (t === YES) {
          if (decided === null || stricter(decided.decision, rule.ref.decision) !== decided.decision) decided = rule.ref;
        } else if (t === MAYBE && rule.ref.decision !== 'allow') {
          if (maybe === null || stricter(maybe.decision, rule.ref.decision) !== maybe.decision) maybe = rule.ref;
        }
      }
      if (maybe !== null && (decided === null || stricter(decided.decision, maybe.decision) !== decided.decision)) {
        return this.unknownPart(`it may match rule ${maybe.id}`, target, maybe);
      }
      if (decided !== null) return { target, decision: decided.decision, rule: decided };
    }
    return { target, decision: this.defaultDecision, rule: null };
  }
}

function combine(parts: readonly VerdictPart[], fallback: Decision): PolicyVerdict {
  let worst: VerdictPart | null = null;
  for (const p of parts) if (worst === null || stricter(worst.decision, p.decision) !== worst.decision) worst = p;
  if (worst === null) return { decision: fallback, rule: null, reason: 'no command to check', parts };
  const reason = worst.rule === null ? `no rule matched (default ${worst.decision})` : worst.rule.reason;
  return { decision: worst.decision, rule: worst.rule, reason, parts };
}
