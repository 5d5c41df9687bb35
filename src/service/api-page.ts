// The human-readable API page at /docs, rendered from the OpenAPI document on the server: plain
// HTML and a little CSS, no script and no CDN, so it works offline and behind any proxy. (The
// well-known renderers, Swagger UI, Redoc and Scalar, load their bundles from a CDN by default.)

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A scalar as text; objects and arrays (not expected where this is used) as nothing. */
function str(v: Json | undefined, fallback = ''): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : fallback;
}

function isObj(v: Json | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A schema as a compact type line, with $refs linked to their section. */
function typeOf(schema: Json | undefined): string {
  if (!isObj(schema)) return 'any';
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop() ?? '';
    return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const v = schema[key];
    if (Array.isArray(v)) return v.map(typeOf).join(' | ');
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((e) => esc(JSON.stringify(e))).join(' | ');
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`;
  if (schema.type === 'object' && isObj(schema.additionalProperties)) return `{[key]: ${typeOf(schema.additionalProperties)}}`;
  return esc(Array.isArray(schema.type) ? schema.type.map((t) => str(t)).join(' | ') : str(schema.type, 'any'));
}

function fields(schema: Json | undefined): string {
  if (!isObj(schema) || !isObj(schema.properties)) return `<p class="type">${typeOf(schema)}</p>`;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const rows = Object.entries(schema.properties).map(([name, prop]) => {
    const p = isObj(prop) ? prop : {};
    const notes = [typeof p.description === 'string' ? esc(p.description) : '', p.default !== undefined ? `default <code>${esc(JSON.stringify(p.default))}</code>` : '']
      .filter(Boolean)
      .join(' ');
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? '' : '?'}</td><td>${typeOf(prop)}</td><td>${notes}</td></tr>`;
  });
  return `<table>${rows.join('')}</table>`;
}

function content(c: Json | undefined): string {
  if (!isObj(c)) return '';
  return Object.entries(c)
    .map(([type, media]) => `<div><span class="media">${esc(type)}</span> ${isObj(media) ? fields(media.schema) : ''}</div>`)
    .join('');
}

function operation(method: string, path: string, op: Obj): string {
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObj) : [];
  const paramRows = params.map(
    (p) => `<tr><td><code>${esc(str(p.name))}</code> (${esc(str(p.in))})</td><td>${typeOf(p.schema)}</td><td>${isObj(p.schema) && typeof p.schema.description === 'string' ? esc(p.schema.description) : ''}</td></tr>`,
  );
  const body = isObj(op.requestBody) ? `<h4>Body</h4>${content(op.requestBody.content)}` : '';
  const responses = isObj(op.responses)
    ? Object.entries(op.responses)
        .map(([status, r]) => `<li><b>${esc(status)}</b> ${isObj(r) ? `${esc(str(r.description))}${Number(status) < 300 ? content(r.content) : ''}` : ''}</li>`)
        .join('')
    : '';
  return `<section class="op"><h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(str(op.summary))}</p>${paramRows.length > 0 ? `<h4>Parameters</h4><table>${paramRows.join('')}</table>` : ''}${body}<h4>Responses</h4><ul>${responses}</ul></section>`;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#1b1b1b}
code{font:13px ui-monospace,monospace}table{border-collapse:collapse;margin:.3em 0}td{border-top:1px solid #ddd;padding:.2em .6em;vertical-align:top}
.op{border-left:3px solid #ccc;padding-left:1em;margin:1.5em 0}.method{font:bold 12px monospace;padding:.1em .4em;border-radius:3px;color:#fff;background:#555}
.get{background:#2b6cb0}.post{background:#2f855a}.put{background:#b7791f}.delete{background:#c53030}.media{color:#666;font-size:12px}h4{margin:.6em 0 .2em}`;

/** The whole page from an OpenAPI 3.1 document (as JSON). */
export function renderApiPage(doc: Obj): string {
  const info = isObj(doc.info) ? doc.info : {};
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (!isObj(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObj(op)) continue;
      const tag = Array.isArray(op.tags) && typeof op.tags[0] === 'string' ? op.tags[0] : 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operation(method, path, op)]);
    }
  }
  const schemas = isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : {};
  const toc = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(str(info.title, 'API'))}</title><style>${STYLE}</style></head><body>
<h1>${esc(str(info.title, 'API'))} <small>${esc(str(info.version))}</small></h1><p>${esc(str(info.description))}</p>
<p>${toc} · <a href="#schemas">schemas</a> · <a href="/openapi.json">openapi.json</a></p>
${[...byTag].map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join('\n')}`).join('\n')}
<h2 id="schemas">Schemas</h2>${Object.entries(schemas).map(([name, s]) => `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3>${fields(s)}</section>`).join('\n')}
</body></html>`;
}
