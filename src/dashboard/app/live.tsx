// Live: alerts as they fire (the event stream, no reload), with filters, the guard's actions beside
// each, and counts per rule and technique over the last hour.
import { Component } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type ActionData, type AlertData, type AlertHistory, type ServiceEvent } from './api';
import { clock, command, evidenceLine, Severity } from './format';

const SHOWN = 1000;
const NO_ACTIONS: ActionData[] = [];

interface Row {
  event: ServiceEvent;
  alert: AlertData;
}

export interface LiveState {
  rows: Row[];
  actions: Map<string, ActionData[]>;
  counts: { byRule: Record<string, number>; byTechnique: Record<string, number> };
  connected: boolean;
}

function addAction(map: Map<string, ActionData[]>, e: ServiceEvent): void {
  const a = e.data as unknown as ActionData;
  map.set(a.alertId, [...(map.get(a.alertId) ?? []), a]);
}

/** Loads the recent alerts, then follows the event stream; the state lives as long as the app. */
export function useLive(): LiveState {
  const [state, setState] = useState<LiveState>({ rows: [], actions: new Map(), counts: { byRule: {}, byTechnique: {} }, connected: false });
  useEffect(() => {
    let closed = false;
    let source: EventSource | null = null;
    void api<AlertHistory>('/v1/alerts?limit=1000').then((h) => {
      if (closed) return;
      const actions = new Map<string, ActionData[]>();
      for (const a of [...h.actions].reverse()) addAction(actions, a);
      setState((s) => {
        const seen = new Set(s.rows.map((r) => r.alert.id));
        const older = h.alerts.filter((e) => !seen.has((e.data as unknown as AlertData).id)).map((event) => ({ event, alert: event.data as unknown as AlertData }));
        for (const [k, v] of s.actions) actions.set(k, [...(actions.get(k) ?? []), ...v]);
        return { ...s, rows: [...s.rows, ...older], actions, counts: { byRule: h.counts.byRule, byTechnique: h.counts.byTechnique } };
      });
    });
    source = new EventSource('/v1/events?types=alert,action');
    source.onopen = () => setState((s) => ({ ...s, connected: true }));
    source.onerror = () => setState((s) => ({ ...s, connected: false }));
    source.addEventListener('alert', (m: MessageEvent<string>) => {
      const event = JSON.parse(m.data) as ServiceEvent;
      const alert = event.data as unknown as AlertData;
      setState((s) => {
        if (s.rows.some((r) => r.alert.id === alert.id)) return s;
        const bump = (o: Record<string, number>, k: string) => ({ ...o, [k]: (o[k] ?? 0) + 1 });
        return {
          ...s,
          rows: [{ event, alert }, ...s.rows].slice(0, 10_000),
          counts: { byRule: bump(s.counts.byRule, alert.ruleId), byTechnique: bump(s.counts.byTechnique, alert.technique) },
        };
      });
    });
    source.addEventListener('action', (m: MessageEvent<string>) => {
      const event = JSON.parse(m.data) as ServiceEvent;
      setState((s) => {
        const actions = new Map(s.actions);
        addAction(actions, event);
        return { ...s, actions };
      });
    });
    return () => {
      closed = true;
      source?.close();
    };
  }, []);
  return state;
}

/** Where an alert's step is: the episode's timeline when it belongs to one, else the sandbox's step. */
export function stepHref(e: ServiceEvent): string | null {
  if (e.step === null) return null;
  return `#/sandboxes/${encodeURIComponent(e.sandbox)}/step/${e.step}`;
}

function Counts({ title, counts }: { title: string; counts: Record<string, number> }) {
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return (
    <section class="card counts" aria-label={title}>
      <h3>{title}</h3>
      {sorted.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul>
          {sorted.slice(0, 12).map(([k, n]) => (
            <li key={k}>
              <span>{k}</span>
              <b>{n}</b>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function LivePage({ live }: { live: LiveState }) {
  const [severity, setSeverity] = useState('');
  const [text, setText] = useState('');
  const [sandbox, setSandbox] = useState('');
  const needle = text.trim().toLowerCase();
  const rows = useMemo(
    () =>
      live.rows.filter(
        (r) =>
          (severity === '' || r.alert.severity === severity) &&
          (sandbox === '' || r.event.sandbox.includes(sandbox.trim())) &&
          (needle === '' || `${r.alert.ruleId} ${r.alert.technique} ${r.alert.title}`.toLowerCase().includes(needle)),
      ),
    [live.rows, severity, sandbox, needle],
  );
  return (
    <div class="live">
      <h2>
        Live <span class={live.connected ? 'dot on' : 'dot'} title={live.connected ? 'connected to the event stream' : 'not connected'} />
        <span class="muted small">{live.connected ? 'streaming' : 'connecting…'}</span>
      </h2>
      <div class="grid2">
        <Counts title="Alerts per rule, last hour" counts={live.counts.byRule} />
        <Counts title="Alerts per technique, last hour" counts={live.counts.byTechnique} />
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter alerts">
        <label>
          severity
          <select value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {['critical', 'high', 'medium', 'low'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          rule or technique
          <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} placeholder="miner, T1572…" />
        </label>
        <label>
          sandbox
          <input type="search" value={sandbox} onInput={(e) => setSandbox((e.target as HTMLInputElement).value)} />
        </label>
        <span class="muted small" aria-live="polite">
          {rows.length} of {live.rows.length} alerts
        </span>
      </form>
      <div class="scroll">
        <table class="alerts">
          <thead>
            <tr>
              <th>time</th>
              <th>severity</th>
              <th>rule</th>
              <th>sandbox · episode · step</th>
              <th>command and evidence</th>
              <th>guard</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, SHOWN).map((r) => (
              <AlertRow key={r.alert.id} row={r} actions={live.actions.get(r.alert.id) ?? NO_ACTIONS} />
            ))}
          </tbody>
        </table>
        {rows.length > SHOWN ? <p class="muted small">showing the newest {SHOWN}; filter to narrow</p> : null}
        {rows.length === 0 ? <p class="muted">No alerts yet. They appear here as the guard raises them.</p> : null}
      </div>
    </div>
  );
}

interface RowProps {
  row: Row;
  actions: ActionData[];
}

/** A row renders again only when its alert or its actions change: a new alert on top of 1,000 costs one row. */
class AlertRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    return next.row !== this.props.row || next.actions !== this.props.actions;
  }

  override render() {
    return <AlertCells {...this.props} />;
  }
}

function AlertCells({ row, actions }: RowProps) {
  const { event, alert } = row;
  const href = stepHref(event);
  return (
    <tr class={`alert sev-row-${alert.severity}`} data-alert={alert.id} data-sandbox={event.sandbox} data-step={event.step ?? ''}>
      <td class="nowrap">{clock(alert.time)}</td>
      <td>
        <Severity level={alert.severity} />
      </td>
      <td>
        <b>{alert.ruleId}</b> <span class="tech">{alert.technique}</span>
        <div class="muted small">{alert.title}</div>
      </td>
      <td class="ids">
        <a href={`#/sandboxes/${encodeURIComponent(event.sandbox)}`}>{event.sandbox}</a>
        {event.episode ? (
          <>
            {' · '}
            <a href={`#/episodes/${encodeURIComponent(event.episode)}`}>episode</a>
          </>
        ) : null}
        {' · '}
        {href ? (
          <a class="step-link" href={href}>
            step {event.step}
          </a>
        ) : (
          'no step'
        )}
      </td>
      <td class="cmd">
        {alert.argv ? <code>{command(alert.argv)}</code> : null}
        <div class="muted small evidence">{alert.evidence.slice(0, 2).map(evidenceLine).join(' | ')}</div>
      </td>
      <td class="actions">
        {actions.length === 0 ? (
          <span class="muted">—</span>
        ) : (
          actions.map((a, i) => (
            <span key={i} class={a.ok ? 'act ok' : 'act failed'}>
              {a.action}
              {a.target ? ` → ${a.target}` : ''}
              {a.ok ? '' : ` (failed: ${a.error ?? ''})`}
            </span>
          ))
        )}
      </td>
    </tr>
  );
}
