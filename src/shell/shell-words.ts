// Turns a word of the bash syntax tree into the argv word(s) bash would pass: quotes removed,
// escapes and $'..' decoded, variables known in advance substituted (with word splitting), and
// anything decided only at run time (globs, command substitution, unknown variables) marked computed.
import type { Node } from 'web-tree-sitter';
import type { Word } from './shell-types.js';

export interface ExpandContext {
  /** A variable's value; null when it is not known before the command runs. */
  lookup(name: string): string | null;
  /** Whether the script changed IFS: then unquoted expansions split in ways this does not follow. */
  readonly ifsChanged: boolean;
  /** Called for every command or process substitution met, so its commands are found too. */
  substitution(node: Node): void;
}

interface Seg {
  readonly text: string | null;
  /** An unquoted expansion: its value splits into words. */
  readonly splits: boolean;
}

const GLOB = /[*?[]/;

/** Unquoted text: backslash quotes the next character, and an unquoted glob character makes it computed. */
function unquoted(raw: string, first: boolean, ctx: ExpandContext): Seg {
  let out = '';
  let glob = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] ?? '';
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next !== undefined && next !== '\n') out += next;
      i++;
    } else {
      if (GLOB.test(ch)) glob = true;
      out += ch;
    }
  }
  if (first && raw.startsWith('~')) {
    const slash = out.indexOf('/');
    const user = slash < 0 ? out.slice(1) : out.slice(1, slash);
    const home = user === '' ? ctx.lookup('HOME') : null;
    if (home === null) return { text: null, splits: false };
    out = home + (slash < 0 ? '' : out.slice(slash));
  }
  return { text: glob ? null : out, splits: false };
}

/** Text inside double quotes: only \$ \` \" \\ and backslash-newline are escapes. */
function doubleQuoted(raw: string): string {
  return raw.replace(/\\([$`"\\\n])/g, (_m, ch: string) => (ch === '\n' ? '' : ch));
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?',
};

/** The body of $'...', decoded as bash does. */
export function decodeAnsiC(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    const take = (re: RegExp, base: number, skip: number): boolean => {
      const m = re.exec(body.slice(i + skip));
      if (!m) return false;
      out += String.fromCodePoint(parseInt(m[0], base));
      i += skip - 1 + m[0].length;
      return true;
    };
    if (next === 'x' && take(/^[0-9a-fA-F]{1,2}/, 16, 2)) continue;
    if (next === 'u' && take(/^[0-9a-fA-F]{1,4}/, 16, 2)) continue;
    if (next === 'U' && take(/^[0-9a-fA-F]{1,8}/, 16, 2)) continue;
    if (/[0-7]/.test(next) && take(/^[0-7]{1,3}/, 8, 1)) continue;
    if (next === 'c' && i + 2 < body.length) {
      out += String.fromCharCode((body.charCodeAt(i + 2) & 0x1f) >>> 0);
      i += 2;
      continue;
    }
    out += `\\${next}`;
    i++;
  }
  return out;
}

function variable(node: Node, ctx: ExpandContext, quoted: boolean): Seg {
  const name = node.type === 'simple_expansion' ? node.text.slice(1) : plainBraced(node);
  const value = name === null ? null : ctx.lookup(name);
  if (value === null) return { text: null, splits: false };
  if (quoted) return { text: value, splits: false };
  if (ctx.ifsChanged || GLOB.test(value)) return { text: null, splits: false };
  return { text: value, splits: true };
}

/** `${name}` with no operator: the name; anything else (`${x:-y}`, `${#x}`, `${x/a/b}`) is computed. */
function plainBraced(node: Node): string | null {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+)\}$/.exec(node.text);
  return m?.[1] ?? null;
}

/** The segments of a double-quoted string: the text between its parts is literal. */
function stringSegs(node: Node, ctx: ExpandContext, open: number): Seg[] {
  const segs: Seg[] = [];
  const text = node.text;
  const base = node.startIndex;
  let pos = open;
  const end = text.length - 1;
  for (const child of node.namedChildren) {
    if (child.type === 'string_content') continue;
    const from = child.startIndex - base;
    if (from > pos) segs.push({ text: doubleQuoted(text.slice(pos, from)), splits: false });
    segs.push(...segsOf(child, ctx, true, false));
    pos = child.endIndex - base;
  }
  if (end > pos) segs.push({ text: doubleQuoted(text.slice(pos, end)), splits: false });
  if (segs.length === 0) segs.push({ text: '', splits: false });
  return segs;
}

function segsOf(node: Node, ctx: ExpandContext, quoted: boolean, first: boolean): Seg[] {
  switch (node.type) {
    case 'word':
      return [quoted ? { text: node.text, splits: false } : unquoted(node.text, first, ctx)];
    case 'number':
      return [{ text: node.text, splits: false }];
    case 'raw_string':
      return [{ text: node.text.slice(1, -1), splits: false }];
    case 'ansi_c_string':
      return [{ text: decodeAnsiC(node.text.slice(2, -1)), splits: false }];
    case 'string':
      return stringSegs(node, ctx, 1);
    case 'translated_string':
      return stringSegs(node, ctx, 2);
    case 'simple_expansion':
    case 'expansion':
      for (const c of node.descendantsOfType(['command_substitution', 'process_substitution'])) if (c) ctx.substitution(c);
      return [variable(node, ctx, quoted)];
    case 'concatenation': {
      if (!quoted && /\{[^{}]*(,|\.\.)[^{}]*\}/.test(node.text) && node.namedChildren.some((c) => c.type === 'word' && /[{}]/.test(c.text))) {
        for (const c of node.descendantsOfType(['command_substitution', 'process_substitution'])) if (c) ctx.substitution(c);
        return [{ text: null, splits: false }];
      }
      return node.namedChildren.flatMap((c, i) => segsOf(c, ctx, quoted, first && i === 0));
    }
    case 'command_substitution':
    case 'process_substitution':
      ctx.substitution(node);
      return [{ text: null, splits: false }];
    default:
      // arithmetic, brace expressions, extglob patterns: decided at run time
      for (const c of node.descendantsOfType(['command_substitution', 'process_substitution'])) if (c) ctx.substitution(c);
      return [{ text: null, splits: false }];
  }
}

/** The argv words one syntax-tree word becomes (none when it is an unquoted expansion of nothing). */
export function expandWord(node: Node, ctx: ExpandContext): Word[] {
  const segs = segsOf(node, ctx, false, true);
  const fields: { parts: (string | null)[]; keep: boolean }[] = [{ parts: [], keep: false }];
  for (const seg of segs) {
    let field = fields[fields.length - 1] ?? { parts: [], keep: false };
    if (seg.splits && seg.text !== null) {
      seg.text.split(/[ \t\n]+/).forEach((piece, i) => {
        if (i > 0) {
          field = { parts: [], keep: false };
          fields.push(field);
        }
        if (piece !== '') {
          field.parts.push(piece);
          field.keep = true;
        }
      });
      continue;
    }
    field.parts.push(seg.text);
    field.keep = true;
  }
  const source = node.text;
  return fields
    .filter((f) => f.keep)
    .map((f) => {
      const firstComputed = f.parts.indexOf(null);
      const known = firstComputed < 0 ? f.parts : f.parts.slice(0, firstComputed);
      const prefix = known.join('');
      if (firstComputed < 0) return { value: prefix, prefix, suffix: prefix, source };
      const suffix = f.parts.slice(f.parts.lastIndexOf(null) + 1).join('');
      return { value: null, prefix, suffix, source };
    });
}

/** The value of an assignment's right side (no word splitting, no globbing); null when computed. */
export function assignedValue(node: Node | null, ctx: ExpandContext): string | null {
  if (node === null) return '';
  if (node.type === 'array') {
    for (const c of node.descendantsOfType(['command_substitution', 'process_substitution'])) if (c) ctx.substitution(c);
    return null;
  }
  // no word splitting in an assignment: the pieces are joined as they are
  const segs = segsOf(node, ctx, false, false);
  return segs.every((seg) => seg.text !== null) ? segs.map((seg) => seg.text).join('') : null;
}
