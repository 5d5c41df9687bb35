// Episodes: the list with outcome, reward, penalty and safety label; one episode as a timeline of
// its steps (command or tool call, output, alerts, policy decisions, resources), rogue steps marked,
// every alert linked to its step.
import { useEffect, useState } from 'preact/hooks';
import { api, type Episode, type EpisodeStep, type GpuUse } from './api';
import { bytes, clock, stamp, toolCall, Severity } from './format';
import { usePoll } from './use-poll';

export function EpisodesPage() {
  const list = usePoll(() => api<{ episodes: Episode[] }>('/v1/episodes?limit=500'), 5000, []);
  const [filter, setFilter] = useState('');
  const [label, setLabel] = useState('');
  if (list.error) return <p class="error">{list.error}</p>;
  if (!list.data) return <p class="muted">loading…</p>;
  const shown = list.data.episodes.filter(
    (e) => (filter === '' || `${e.id} ${e.taskId} ${e.policy}`.includes(filter)) && (label === '' || (e.outcome?.safetyLabel ?? 'none') === label),
  );
  return (
    <div>
      <h2>Episodes ({list.data.episodes.length})</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          id, task or policy
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          safety
          <select value={label} onChange={(e) => setLabel((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            <option>flagged</option>
            <option>clean</option>
            <option value="none">no outcome</option>
          </select>
        </label>
      </form>
      <div class="scroll">
        <table class="episodes">
          <thead>
            <tr>
              <th>episode</th>
              <th>task</th>
              <th>status</th>
              <th>safety</th>
              <th>reward</th>
              <th>penalty</th>
              <th>started</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.id} data-episode={e.id}>
                <td>
                  <a href={`#/episodes/${encodeURIComponent(e.id)}`}>{e.id}</a>
                </td>
                <td>{e.taskId}</td>
                <td>{e.status}</td>
                <td class={e.outcome?.safetyLabel === 'flagged' ? 'bad' : ''}>{e.outcome?.safetyLabel ?? '—'}</td>
                <td>{e.outcome ? e.outcome.reward.toFixed(2) : '—'}</td>
                <td>{e.outcome ? e.outcome.penalty.toFixed(2) : '—'}</td>
                <td class="nowrap">{stamp(e.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function EpisodePage({ id, step }: { id: string; step: number | null }) {
  const detail = usePoll(() => api<{ episode: Episode; steps: EpisodeStep[] }>(`/v1/episodes/${encodeURIComponent(id)}`), 0, [id]);
  useEffect(() => {
    if (step === null || !detail.data) return;
    const el = document.getElementById(`step-${step}`);
    el?.scrollIntoView({ block: 'start' });
    el?.focus();
  }, [step, detail.data]);
  if (detail.error) return <p class="error">episode {id}: {detail.error}</p>;
  if (!detail.data) return <p class="muted">loading…</p>;
  const { episode: e, steps } = detail.data;
  const alerts = steps.flatMap((s) => s.alerts.map((a) => ({ ...a, at: s.index })));
  const stepHref = (n: number): string => `#/episodes/${encodeURIComponent(id)}/step/${n}`;
  return (
    <div>
      <p>
        <a href="#/episodes">← episodes</a>
      </p>
      <h2>Episode {e.id}</h2>
      <p>{e.task.instruction}</p>
      <p class="muted">
        task {e.taskId} · {e.policy} · sandbox {e.sandboxId} · {e.status}
        {e.statusReason ? ` (${e.statusReason})` : ''} · {stamp(e.startedAt)}
        {e.gpu ? ` · ${gpuText(e.gpu)} (whole sandbox)` : ''}
      </p>
      {e.outcome ? (
        <p class="outcome">
          safety <b class={e.outcome.safetyLabel === 'flagged' ? 'bad' : 'good'}>{e.outcome.safetyLabel}</b> · verifier {e.outcome.verifierReward ?? '—'} · penalty {e.outcome.penalty.toFixed(2)} · reward{' '}
          <b>{e.outcome.reward.toFixed(2)}</b>
        </p>
      ) : null}
      <section class="card">
        <h3>Alerts ({alerts.length})</h3>
        <ul class="episode-alerts">
          {alerts.map((a) => (
            <li key={a.id} data-alert={a.id}>
              <Severity level={a.severity} /> <b>{a.ruleId}</b> {a.technique} ·{' '}
              {a.step === null ? (
                'outside any step'
              ) : (
                <a class="alert-step" href={stepHref(a.step)} data-step={a.step}>
                  step {a.step}
                </a>
              )}{' '}
              <span class="muted small">{a.description}</span>
            </li>
          ))}
        </ul>
      </section>
      <ol class="timeline">
        {steps.map((s) => (
          <TimelineStep key={s.index} s={s} selected={s.index === step} />
        ))}
      </ol>
    </div>
  );
}

/** GPU-seconds and peak GPU memory, as the store keeps them. */
function gpuText(g: GpuUse): string {
  return `${g.gpuSeconds.toFixed(1)} GPU s, peak ${bytes(g.peakMemoryBytes)} GPU memory`;
}

function TimelineStep({ s, selected }: { s: EpisodeStep; selected: boolean }) {
  const rogue = s.alerts.length > 0;
  const cls = ['step', rogue ? 'rogue' : '', selected ? 'selected' : ''].filter(Boolean).join(' ');
  return (
    <li id={`step-${s.index}`} class={cls} data-step={s.index} tabIndex={-1} aria-label={`step ${s.index}${rogue ? ', rogue' : ''}`}>
      <div class="step-head">
        <b>step {s.index}</b> {rogue ? <span class="rogue-mark">ROGUE</span> : null} <span class="muted small">{s.action?.name ?? 'message'}</span>{' '}
        <span class="muted small">
          {clock(s.startedAt)} · {s.endedAt - s.startedAt} ms
          {s.resources?.cpuSeconds !== undefined ? ` · ${s.resources.cpuSeconds.toFixed(2)} CPU s` : ''}
          {s.resources?.memoryBytes !== undefined ? ` · ${bytes(s.resources.memoryBytes)}` : ''}
          {s.gpu ? ` · ${gpuText(s.gpu)}` : ''}
          {s.sandboxSteps.length ? ` · sandbox step ${s.sandboxSteps.join(', ')}` : ''}
        </span>
      </div>
      <pre class="cmd">{toolCall(s.action, s.message)}</pre>
      {s.observation ? (
        <details>
          <summary>
            output{s.observation.denied ? ' (denied)' : ''}
            {s.observation.isError ? ' (error)' : ''}
          </summary>
          <pre class="out">{s.observation.content.slice(0, 4000)}</pre>
        </details>
      ) : null}
      {s.alerts.map((a) => (
        <div key={a.id} class="step-alert" id={`alert-${a.id}`}>
          <Severity level={a.severity} /> <b>{a.ruleId}</b> {a.technique} <span class="muted small">{a.description}</span>
        </div>
      ))}
      {s.policy
        .filter((p) => p.decision !== 'allow')
        .map((p, i) => (
          <div key={i} class="policy small">
            policy: {p.decision}
            {p.final && p.final !== p.decision ? ` → ${p.final}` : ''} {p.ruleId ?? ''}
          </div>
        ))}
    </li>
  );
}
