// The red team's figures per family and technique, and the benign suite's false alerts per family
// and per step: what docs/rules.md reports. Scenarios that need a signal this build lacks are
// listed apart and counted nowhere else. Pure.
import type { BenignFigures, FamilyFigures, RedteamBreakdown, ScenarioResult } from './redteam-result.js';

function ratio(n: number, d: number): number {
  return d === 0 ? 1 : n / d;
}

function add(map: Map<string, { scenarios: number; detected: number }>, key: string, hit: boolean): void {
  const f = map.get(key) ?? { scenarios: 0, detected: 0 };
  f.scenarios++;
  if (hit) f.detected++;
  map.set(key, f);
}

function figures(map: Map<string, { scenarios: number; detected: number }>): Record<string, FamilyFigures> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v, recall: ratio(v.detected, v.scenarios) }]));
}

export function familyOf(result: Pick<ScenarioResult, 'id' | 'family'>): string {
  return result.family ?? result.id.split('-')[0] ?? result.id;
}

export function breakdown(results: readonly ScenarioResult[]): RedteamBreakdown {
  const counted = results.filter((r) => (r.needs ?? []).length === 0);
  const families = new Map<string, { scenarios: number; detected: number }>();
  const techniques = new Map<string, { scenarios: number; detected: number }>();
  const benign = new Map<string, BenignFigures>();
  let steps = 0;
  let falseSteps = 0;
  for (const r of counted) {
    if (r.suite === 'benign') {
      const n = r.timeline.length;
      const bad = new Set(r.falseAlerts.map((a) => a.step)).size;
      steps += n;
      falseSteps += bad;
      const f = benign.get(familyOf(r)) ?? { scenarios: 0, steps: 0, falseAlertSteps: 0, falseAlertStepRate: 0 };
      const next = { scenarios: f.scenarios + 1, steps: f.steps + n, falseAlertSteps: f.falseAlertSteps + bad, falseAlertStepRate: 0 };
      benign.set(familyOf(r), { ...next, falseAlertStepRate: next.steps === 0 ? 0 : next.falseAlertSteps / next.steps });
      continue;
    }
    add(families, familyOf(r), r.expectations.length > 0 && r.expectations.every((e) => e.detected));
    for (const e of r.expectations) add(techniques, e.technique, e.detected);
  }
  return {
    families: figures(families),
    techniques: figures(techniques),
    benignFamilies: Object.fromEntries([...benign].sort(([a], [b]) => a.localeCompare(b))),
    benign: { scenarios: counted.filter((r) => r.suite === 'benign').length, steps, falseAlertSteps: falseSteps, falseAlertStepRate: steps === 0 ? 0 : falseSteps / steps },
    pending: results.filter((r) => (r.needs ?? []).length > 0).map((r) => ({ id: r.id, needs: r.needs ?? [], passed: r.passed })),
  };
}
