// Sandboxes: every live sandbox the key may see (owner, age, limits, latest use), and one sandbox in
// detail: CPU, memory and GPU over time, network decisions, steps with their alerts, and freeze,
// thaw and destroy for keys that may.
import { useState } from 'preact/hooks';
import { api, mayChange, type ActionData, type AlertData, type Me, type ResourcePoint, type SandboxView, type Telemetry } from './api';
import { Chart } from './chart';
import { age, bytes, clock, command, evidenceLine, Severity } from './format';
import { usePoll } from './use-poll';

export function SandboxesPage({ me }: { me: Me }) {
  const list = usePoll(() => Promise.all([api<{ sandboxes: SandboxView[] }>('/v1/sandboxes'), api<{ sandboxes: Record<string, ResourcePoint> }>('/v1/telemetry/latest')]), 3000, []);
  const [filter, setFilter] = useState('');
  if (list.error) return <p class="error">{list.error}</p>;
  if (!list.data) return <p class="muted">loading…</p>;
  const [{ sandboxes }, { sandboxes: latest }] = list.data;
  const shown = sandboxes.filter((s) => filter === '' || s.id.includes(filter) || s.owner.includes(filter));
  return (
    <div>
      <h2>Sandboxes ({sandboxes.length})</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          id or owner
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
      </form>
      <div class="scroll">
        <table class="sandboxes">
          <thead>
            <tr>
              <th>sandbox</th>
              <th>owner key</th>
              <th>state</th>
              <th>age</th>
              <th>limits</th>
              <th>CPU</th>
              <th>memory</th>
              <th>steps</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => {
              const p = latest[s.id];
              return (
                <tr key={s.id} data-sandbox={s.id}>
                  <td>
                    <a href={`#/sandboxes/${encodeURIComponent(s.id)}`}>{s.id}</a>
                  </td>
                  <td>{s.owner === me.keyId ? <b>{s.owner} (you)</b> : s.owner}</td>
                  <td class={`state-${s.state}`}>{s.state}</td>
                  <td class="nowrap">{age(s.createdAt)}</td>
                  <td class="small">
                    {s.options.cpus} cpu · {bytes(s.options.memory)} · {s.options.pids} pids{s.options.gpu ? ' · gpu' : ''}
                  </td>
                  <td>{p ? `${p.cpuCores.toFixed(2)} cores` : '—'}</td>
                  <td>{p ? bytes(p.memoryBytes) : '—'}</td>
                  <td>{s.steps}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {sandboxes.length === 0 ? <p class="muted">No live sandboxes.</p> : null}
    </div>
  );
}

interface AlertList {
  alerts: AlertData[];
  actions: ActionData[];
}

export function SandboxPage({ me, id, step }: { me: Me; id: string; step: number | null }) {
  const view = usePoll(
    () => Promise.all([api<SandboxView>(`/v1/sandboxes/${encodeURIComponent(id)}`), api<Telemetry>(`/v1/sandboxes/${encodeURIComponent(id)}/telemetry`), api<AlertList>(`/v1/sandboxes/${encodeURIComponent(id)}/alerts`)]),
    2000,
    [id],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  if (view.error) return <p class="error">sandbox {id}: {view.error}</p>;
  if (!view.data) return <p class="muted">loading…</p>;
  const [s, t, alerts] = view.data;
  const act = (what: 'freeze' | 'thaw' | 'destroy'): void => {
    if (what === 'destroy' && !confirm(`Destroy sandbox ${id}? Its running steps die with it.`)) return;
    setBusy(what);
    setActionError(null);
    const done = what === 'destroy' ? api(`/v1/sandboxes/${encodeURIComponent(id)}`, { method: 'DELETE' }) : api(`/v1/sandboxes/${encodeURIComponent(id)}/${what}`, { method: 'POST' });
    done.then(
      () => {
        setBusy(null);
        if (what === 'destroy') location.hash = '#/sandboxes';
        else view.reload();
      },
      (err: unknown) => {
        setBusy(null);
        setActionError(err instanceof Error ? err.message : String(err));
      },
    );
  };
  const times = t.samples.map((p) => p.time);
  const gpu = t.samples.some((p) => p.gpuPercent !== null);
  return (
    <div>
      <p>
        <a href="#/sandboxes">← sandboxes</a>
      </p>
      <h2>
        Sandbox {s.id} <span class={`state-${s.state}`}>{s.state}</span>
      </h2>
      <p class="muted">
        owner {s.owner} · age {age(s.createdAt)} · {s.options.cpus} cpu · {bytes(s.options.memory)} · {s.options.pids} pids · guard {s.options.guardMode}
        {s.options.allowDomains.length ? ` · allows ${s.options.allowDomains.join(', ')}` : ''}
      </p>
      {mayChange(me, s.owner) && s.state !== 'destroyed' ? (
        <div class="buttons">
          {s.state === 'frozen' ? (
            <button type="button" onClick={() => act('thaw')} disabled={busy !== null}>
              Thaw
            </button>
          ) : (
            <button type="button" onClick={() => act('freeze')} disabled={busy !== null}>
              Freeze
            </button>
          )}
          <button type="button" class="danger" onClick={() => act('destroy')} disabled={busy !== null}>
            Destroy
          </button>
        </div>
      ) : (
        <p class="muted small">read only: this key may not change this sandbox</p>
      )}
      {actionError ? <p class="error">{actionError}</p> : null}
      {step !== null ? <StepDetail step={step} telemetry={t} alerts={alerts} /> : null}
      <div class="grid3">
        <Chart title="CPU (cores)" times={times} values={t.samples.map((p) => p.cpuCores)} unit={(v) => v.toFixed(2)} colour="#2563eb" />
        <Chart title="memory" times={times} values={t.samples.map((p) => p.memoryBytes)} unit={bytes} colour="#7c3aed" />
        <Chart title={gpu ? 'GPU (%)' : 'GPU (no samples)'} times={times} values={t.samples.map((p) => p.gpuPercent)} unit={(v) => `${Math.round(v)}%`} colour="#059669" />
      </div>
      <section class="card">
        <h3>Network</h3>
        <p>
          <b>{t.network.allowed}</b> allowed · <b class="bad">{t.network.denied}</b> denied · {bytes(t.network.bytesOut)} out · {bytes(t.network.bytesIn)} in
        </p>
        <div class="scroll">
          <table>
            <tbody>
              {t.network.recent
                .slice(-30)
                .reverse()
                .map((d, i) => (
                  <tr key={i} class={d.decision}>
                    <td class="nowrap">{clock(d.time)}</td>
                    <td>{d.decision}</td>
                    <td>{d.via}</td>
                    <td>{d.target}</td>
                    <td>{d.protocol ?? ''}</td>
                    <td>{d.step === null ? '' : <a href={`#/sandboxes/${encodeURIComponent(id)}/step/${d.step}`}>step {d.step}</a>}</td>
                    <td class="nowrap">{d.bytesOut + d.bytesIn > 0 ? `${bytes(d.bytesOut)} / ${bytes(d.bytesIn)}` : ''}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </section>
      <section class="card">
        <h3>Steps</h3>
        <ol class="steps">
          {[...t.steps].reverse().map((st) => {
            const n = alerts.alerts.filter((a) => a.step === st.step).length;
            return (
              <li key={st.step} class={n > 0 ? 'rogue' : ''}>
                <a href={`#/sandboxes/${encodeURIComponent(id)}/step/${st.step}`}>step {st.step}</a> <code>{command(st.argv)}</code>{' '}
                <span class="muted small">
                  {st.endedAt === null ? 'running' : `exit ${st.exitCode ?? '?'}`} {n > 0 ? `· ${n} alert${n > 1 ? 's' : ''}` : ''}
                </span>
              </li>
            );
          })}
        </ol>
      </section>
    </div>
  );
}

function StepDetail({ step, telemetry, alerts }: { step: number; telemetry: Telemetry; alerts: AlertList }) {
  const st = telemetry.steps.find((x) => x.step === step);
  const mine = alerts.alerts.filter((a) => a.step === step);
  const ids = new Set(mine.map((a) => a.id));
  const actions = alerts.actions.filter((a) => ids.has(a.alertId));
  const net = telemetry.network.recent.filter((d) => d.step === step);
  return (
    <section class="card step-detail" id="step-detail" aria-label={`step ${step}`}>
      <h3>Step {step}</h3>
      <p>
        command: <code class="step-command">{st ? command(st.argv) : '(not recorded)'}</code>
      </p>
      {st ? (
        <p class="muted small">
          started {clock(st.startedAt)} · {st.endedAt === null ? 'running' : `ended ${clock(st.endedAt)}, exit ${st.exitCode ?? '?'}`}
        </p>
      ) : null}
      <h4>Alerts</h4>
      {mine.length === 0 ? <p class="muted">none</p> : null}
      <ul>
        {mine.map((a) => (
          <li key={a.id}>
            <Severity level={a.severity} /> <b>{a.ruleId}</b> {a.technique} — {a.description}
            {a.argv ? (
              <div>
                process: <code>{command(a.argv)}</code>
              </div>
            ) : null}
            <div class="muted small">{a.evidence.map(evidenceLine).join(' | ')}</div>
          </li>
        ))}
      </ul>
      <h4>Guard actions</h4>
      {actions.length === 0 ? <p class="muted">none</p> : null}
      <ul class="guard-actions">
        {actions.map((a, i) => (
          <li key={i} class={a.ok ? 'act ok' : 'act failed'}>
            {a.action}
            {a.target ? ` → ${a.target}` : ''} {a.ok ? '' : `(failed: ${a.error ?? ''})`}
          </li>
        ))}
      </ul>
      {net.length > 0 ? (
        <>
          <h4>Network</h4>
          <ul>
            {net.map((d, i) => (
              <li key={i}>
                {d.decision} {d.via} {d.target} {d.protocol ?? ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
