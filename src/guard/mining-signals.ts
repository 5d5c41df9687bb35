// Mining alerts of one sandbox, kept by process and by step, so that GPU use by the same process
// (or another process of the same step: a launcher and its CUDA worker) is joined to them in one
// alert that names the GPU. Which rules count is decided here, by the built-in rule ids of
// rules/builtin/mining.yaml: miner binaries, command lines, wallets, Stratum, pool domains.
import type { Alert } from '../detect/alert.js';

const MINING_RULE = /^(miner-|stratum-|mining-pool-)/;
const MAX_PER_KEY = 8;

export class MiningSignals {
  private readonly byPid = new Map<number, string[]>();
  private readonly byStep = new Map<number, string[]>();

  note(alert: Alert): void {
    if (!MINING_RULE.test(alert.ruleId)) return;
    const label = alert.pid === null ? alert.ruleId : `${alert.ruleId} (pid ${alert.pid})`;
    if (alert.pid !== null) add(this.byPid, alert.pid, label);
    if (alert.step !== null) add(this.byStep, alert.step, label);
  }

  /** The signals of this process, else of its step; null when there are none. */
  evidenceFor(pid: number, step: number | null): string | null {
    const list = this.byPid.get(pid) ?? (step === null ? undefined : this.byStep.get(step));
    return list === undefined ? null : list.join(', ');
  }
}

function add<K>(map: Map<K, string[]>, key: K, label: string): void {
  const list = map.get(key) ?? [];
  if (!list.includes(label) && list.length < MAX_PER_KEY) list.push(label);
  map.set(key, list);
}
