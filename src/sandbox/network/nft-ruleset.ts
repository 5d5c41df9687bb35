// Pure builders for a network cell's nftables ruleset: inside the cell everything is denied but
// loopback and the egress proxy, and every denied attempt is logged with the sandbox and step.

export interface StepMatch {
  readonly step: number;
  /** cgroup v2 path relative to /sys/fs/cgroup, as `socket cgroupv2` resolves it. */
  readonly cgroupPath: string;
  readonly level: number;
}

export interface CellRulesetInput {
  readonly sandboxId: string;
  readonly proxyAddress: string;
  readonly proxyPort: number;
  readonly steps: readonly StepMatch[];
}

export const NFT_TABLE = 'praetor';
const LOG_PREFIX_MAX = 127;
/**
 * The nfnetlink_log group denials go to. Groups belong to a network namespace, so every cell
 * uses the same number and praetor-nflog binds it in each cell: nothing reaches the kernel's
 * shared log (plain `log`), which a flood of denials would overwrite.
 */
export const NFLOG_GROUP = 7270;

/** Log prefix of a denial: `praetor:<sandbox>:<step or ->`, parsed back from the denial reader's lines. */
export function denialLogPrefix(sandboxId: string, step: number | null): string {
  const prefix = `praetor:${sandboxId}:${step === null ? '-' : String(step)} `;
  if (prefix.length > LOG_PREFIX_MAX) throw new Error(`nft log prefix too long: ${prefix}`);
  return prefix;
}

function quoted(value: string): string {
  if (!/^[A-Za-z0-9_./: -]+$/.test(value)) throw new Error(`unsafe value in nft ruleset: ${value}`);
  return `"${value}"`;
}

function logDenial(sandboxId: string, step: number | null): string {
  return `log prefix ${quoted(denialLogPrefix(sandboxId, step))} group ${NFLOG_GROUP}`;
}

function ipv4(value: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) throw new Error(`not an IPv4 address: ${value}`);
  return value;
}

export function stepRule(sandboxId: string, match: StepMatch): string {
  if (!Number.isInteger(match.step) || match.step < 1) throw new Error(`bad step: ${match.step}`);
  return (
    `socket cgroupv2 level ${match.level} ${quoted(match.cgroupPath)} ` +
    `${logDenial(sandboxId, match.step)} goto deny`
  );
}

/** Commands for `nft -f -` that attribute denials of further steps (appended to chain `steps`). */
export function addStepRules(sandboxId: string, steps: readonly StepMatch[]): string {
  return steps.map((s) => `add rule inet ${NFT_TABLE} steps ${stepRule(sandboxId, s)}\n`).join('');
}

export function buildCellRuleset(input: CellRulesetInput): string {
  const { sandboxId, proxyAddress, proxyPort } = input;
  if (!Number.isInteger(proxyPort) || proxyPort < 1 || proxyPort > 65535) throw new Error(`bad port: ${proxyPort}`);
  const lines = [
    `table inet ${NFT_TABLE} {`,
    '  chain deny {',
    '    meta l4proto tcp reject with tcp reset',
    '    reject with icmpx admin-prohibited',
    '  }',
    '  chain steps {',
    ...input.steps.map((s) => `    ${stepRule(sandboxId, s)}`),
    '  }',
    '  chain output {',
    '    type filter hook output priority filter; policy drop;',
    '    oif "lo" accept',
    '    ct state established,related accept',
    `    ip daddr ${ipv4(proxyAddress)} tcp dport ${proxyPort} accept`,
    // Neighbour discovery and multicast listener chatter is the kernel's, not the agent's.
    '    icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } drop',
    '    jump steps',
    `    ${logDenial(sandboxId, null)} goto deny`,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy drop;',
    '    iif "lo" accept',
    '    ct state established,related accept',
    '  }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}
