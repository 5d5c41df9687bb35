// The report's stylesheet, inlined into the page so the file stands alone (no external resources).

export const REPORT_CSS = `
:root {
  --bg: #f5f6f8; --card: #fff; --ink: #1d2330; --muted: #5c6677; --line: #dde1e7;
  --ok: #1a7f37; --ok-bg: #e8f5ec; --bad: #c62828; --bad-bg: #fdecec; --warn: #b25e00; --warn-bg: #fff4e0;
  --accent: #2f5bd3; --code-bg: #f1f3f6;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 12px; }
h3 { font-size: 16px; margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { margin: 6px 0 0; padding: 8px 10px; background: var(--code-bg); border-radius: 6px; white-space: pre-wrap; word-break: break-word; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; }
.meta { color: var(--muted); font-size: 13px; }
.meta span + span::before { content: "·"; margin: 0 8px; color: var(--line); }

.verdict { margin: 14px 0 0; padding: 10px 14px; border-radius: 8px; font-weight: 600; }
.verdict.passed { background: var(--ok-bg); color: var(--ok); }
.verdict.failed { background: var(--bad-bg); color: var(--bad); }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-top: 16px; }
.figure { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.figure .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.figure .value { font-size: 24px; font-weight: 650; margin-top: 2px; }
.figure .detail { color: var(--muted); font-size: 12px; }
.figure.good .value { color: var(--ok); }
.figure.bad { border-color: #f0b4b4; box-shadow: inset 0 3px 0 var(--bad); }
.figure.good { box-shadow: inset 0 3px 0 var(--ok); }
.figure.bad .value { color: var(--bad); }

table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
th, td { text-align: left; vertical-align: top; padding: 8px 10px; border-bottom: 1px solid var(--line); }
th { background: #eef0f4; font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; vertical-align: bottom; }
td.scenario-cell { min-width: 200px; }
td.scenario-cell .mono { overflow-wrap: anywhere; }
td.num { text-align: right; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
tr.failed td { background: var(--bad-bg); }
tr.failed td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
.lines div { white-space: nowrap; }
.yes { color: var(--ok); font-weight: 600; }
.no { color: var(--bad); font-weight: 600; }
.none { color: var(--muted); }

.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.pill.passed { background: var(--ok-bg); color: var(--ok); }
.pill.failed { background: var(--bad); color: #fff; }
.pill.suite { background: #e9edf7; color: #34427a; }
.pill.guard { background: #e6ecfb; color: var(--accent); text-transform: uppercase; font-size: 11px; letter-spacing: .04em; }
.pill.sev-low { background: #e9edf7; color: #34427a; }
.pill.sev-medium { background: #fff4d6; color: #8a6100; }
.pill.sev-high { background: var(--warn-bg); color: var(--warn); }
.pill.sev-critical { background: var(--bad); color: #fff; }

.scenario { margin-top: 18px; border-left: 5px solid var(--ok); }
.scenario.failed { border-left-color: var(--bad); }
.scenario-head { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.scenario p { margin: 6px 0; }
.failures { margin: 12px 0 4px; padding: 10px 14px 10px 32px; background: var(--bad-bg); border: 1px solid #f0b4b4; border-radius: 8px; color: #8e1c1c; }
.failures li { margin: 2px 0; }
.false-alerts { margin: 10px 0 0; padding: 8px 12px; background: var(--warn-bg); border-radius: 8px; }
details > summary { cursor: pointer; color: var(--muted); font-weight: 600; margin-top: 12px; }

.timeline { list-style: none; margin: 12px 0 0; padding: 0 0 0 30px; position: relative; }
.timeline::before { content: ""; position: absolute; left: 10px; top: 6px; bottom: 6px; width: 2px; background: var(--line); }
.step { position: relative; padding: 10px 12px; margin-bottom: 10px; border: 1px solid var(--line); border-radius: 8px; background: #fcfcfd; }
.step::before { content: ""; position: absolute; left: -26px; top: 14px; width: 12px; height: 12px; border-radius: 50%; background: #9aa3b2; border: 2px solid var(--card); box-shadow: 0 0 0 1px #9aa3b2; }
.step.alerted::before { background: var(--warn); box-shadow: 0 0 0 1px var(--warn); }
.step.enforced::before { background: var(--accent); box-shadow: 0 0 0 1px var(--accent); }
.step.missed { border-color: var(--bad); background: var(--bad-bg); }
.step.missed::before { background: var(--bad); box-shadow: 0 0 0 1px var(--bad); }
.step-head { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.step-head .idx { font-weight: 700; }
.step-head .tool { font-weight: 600; color: var(--accent); }
.step-head .offset { color: var(--muted); font-size: 12px; margin-left: auto; }
.expect { font-size: 12px; font-weight: 600; }
.expect.yes { color: var(--ok); }
.expect.no { color: var(--bad); }
.obs { color: #3b4352; background: #f7f8fa; border: 1px dashed var(--line); max-height: 220px; overflow: auto; }
.facts { margin: 8px 0 0; padding: 0; list-style: none; }
.facts li { margin: 4px 0; }
.denied { color: var(--bad); font-weight: 600; }
.alert .desc { color: var(--muted); }
.alert.false-alert { background: var(--warn-bg); border-radius: 6px; padding: 2px 6px; }
.action.failed-action { color: var(--bad); }
@media print { body { background: #fff; } .card, .step { break-inside: avoid; } details:not([open]) > * { display: revert; } }
`;
