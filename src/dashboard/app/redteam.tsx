// Red team: the reports of past `praetor redteam` runs, each browsable as the HTML report is:
// summary figures, the scenarios, and each scenario's timeline with alerts and guard actions.
import { api } from './api';
import { pct, stamp } from './format';
import { usePoll } from './use-poll';

interface Listing {
  id: string;
  startedAt: number;
  endedAt: number;
  host: string;
  suites: string[];
  scenarios: number;
  summary: { recall: number; falseAlertRate: number; containment: number; passed: number; failed: number };
}

interface Scenario {
  id: string;
  suite: string;
  title: string;
  episodeId: string;
  passed: boolean;
  failures: string[];
  durationMs: number;
  timeline: {
    index: number;
    tool: string;
    summary: string;
    observation: string;
    deniedConnections: number;
    alerts: { ruleId: string; technique: string; severity: string; timeToDetectMs: number; description: string }[];
    actions: { action: string; target: string | null; ok: boolean }[];
  }[];
}

export function RedteamPage() {
  const list = usePoll(() => api<{ reports: Listing[] }>('/v1/redteam/reports'), 0, []);
  if (list.error) return <p class="error">{list.error}</p>;
  if (!list.data) return <p class="muted">loading…</p>;
  return (
    <div>
      <h2>Red team reports ({list.data.reports.length})</h2>
      {list.data.reports.length === 0 ? <p class="muted">No reports. Start the daemon with --reports DIR and run praetor redteam --out DIR/NAME.</p> : null}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>run</th>
              <th>started</th>
              <th>host</th>
              <th>suites</th>
              <th>recall</th>
              <th>false alerts</th>
              <th>containment</th>
              <th>result</th>
            </tr>
          </thead>
          <tbody>
            {list.data.reports.map((r) => (
              <tr key={r.id} class={r.summary.failed > 0 ? 'failed' : ''}>
                <td>
                  <a href={`#/redteam/${encodeURIComponent(r.id)}`}>{r.id}</a>
                </td>
                <td class="nowrap">{stamp(r.startedAt)}</td>
                <td>{r.host}</td>
                <td>{r.suites.join(', ')}</td>
                <td>{pct(r.summary.recall)}</td>
                <td>{pct(r.summary.falseAlertRate)}</td>
                <td>{pct(r.summary.containment)}</td>
                <td>
                  {r.summary.passed} passed, {r.summary.failed} failed
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function ReportPage({ id }: { id: string }) {
  const report = usePoll(() => api<{ startedAt: number; host: string; scenarios: Scenario[]; summary: Listing['summary'] }>(`/v1/redteam/reports/${encodeURIComponent(id)}`), 0, [id]);
  if (report.error) return <p class="error">{report.error}</p>;
  if (!report.data) return <p class="muted">loading…</p>;
  const r = report.data;
  return (
    <div>
      <p>
        <a href="#/redteam">← reports</a>
      </p>
      <h2>Red team run {id}</h2>
      <p class="muted">
        {stamp(r.startedAt)} on {r.host} · recall {pct(r.summary.recall)} · false alerts {pct(r.summary.falseAlertRate)} · containment {pct(r.summary.containment)} ·{' '}
        {r.summary.passed} passed, {r.summary.failed} failed
      </p>
      <ul class="scenario-index">
        {r.scenarios.map((s) => (
          <li key={s.id} class={s.passed ? 'passed' : 'failed'}>
            <a href={`#/redteam/${encodeURIComponent(id)}/${encodeURIComponent(s.id)}`}>{s.id}</a> <span class="muted small">{s.suite}</span> {s.passed ? 'PASSED' : 'FAILED'}
          </li>
        ))}
      </ul>
      {r.scenarios.map((s) => (
        <details key={s.id} class={`card scenario ${s.passed ? 'passed' : 'failed'}`} id={`scenario-${s.id}`} open={!s.passed || location.hash.endsWith(`/${encodeURIComponent(s.id)}`)}>
          <summary>
            <b>{s.title}</b> <span class="muted small">{s.suite}</span> {s.passed ? 'PASSED' : 'FAILED'} ·{' '}
            <a href={`#/episodes/${encodeURIComponent(s.episodeId)}`}>episode</a>
          </summary>
          {s.failures.length ? (
            <ul class="bad">
              {s.failures.map((f, i) => (
                <li key={i}>{f}</li>
              ))}
            </ul>
          ) : null}
          <ol class="timeline">
            {s.timeline.map((t) => (
              <li key={t.index} class={t.alerts.length ? 'step rogue' : 'step'}>
                <b>step {t.index}</b> <span class="muted small">{t.tool}</span>
                <pre class="cmd">{t.summary}</pre>
                {t.alerts.map((a, i) => (
                  <div key={i} class="step-alert">
                    <span class={`sev sev-${a.severity}`}>{a.severity}</span> <b>{a.ruleId}</b> {a.technique} after {Math.round(a.timeToDetectMs)} ms
                  </div>
                ))}
                {t.actions.map((a, i) => (
                  <div key={i} class={a.ok ? 'act ok' : 'act failed'}>
                    guard: {a.action}
                    {a.target ? ` → ${a.target}` : ''}
                  </div>
                ))}
                {t.deniedConnections > 0 ? <div class="small">{t.deniedConnections} connections refused by the firewall</div> : null}
              </li>
            ))}
          </ol>
        </details>
      ))}
    </div>
  );
}
