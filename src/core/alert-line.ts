// An alert as the one line the CLI prints for it after `praetor: ` on stderr. The daemon puts it
// ready-made in the one-shot run stream's alert events (`line`), so the node CLI and the native
// client (native/praetor-run.cc) print the same text without each keeping its own formatting.

/** The fields the line is made of (the service's alert, or the client's). */
export interface AlertLineFields {
  readonly severity: string;
  readonly technique: string;
  readonly ruleId: string;
  readonly step: number | null;
  readonly pid: number | null;
  readonly argv?: readonly string[] | null;
}

export function alertLine(a: AlertLineFields): string {
  const where = [a.step === null ? null : `step ${a.step}`, a.pid === null ? null : `pid ${a.pid}`].filter(Boolean).join(', ');
  const argv = a.argv ? `: ${a.argv.join(' ').replace(/\s+/g, ' ').slice(0, 100)}` : '';
  return `ALERT [${a.severity}] ${a.technique} ${a.ruleId}${where ? ` (${where})` : ''}${argv}`;
}
