// GPU selectors and the CLI's --gpus text, without zod: `praetor run`'s fast path parses its flags
// before anything heavy loads. gpu-request.ts builds the schema from the same pattern.
import { PraetorError } from '../../core/errors.js';

export const MAX_GPUS = 64;
export const SELECTOR = /^(\d{1,3}|\d{1,3}:\d{1,3}|GPU-[0-9A-Fa-f-]{8,64}|MIG-[0-9A-Za-z/-]{8,96})$/;
export const SELECTOR_HELP = 'a GPU is named by its index (0), its uuid (GPU-...), or a MIG instance (MIG-... or GPU:device, e.g. 0:1)';

/** How many GPUs (any free ones), or which. */
export type GpuRequest = number | string[];

export type GpuSelector =
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'uuid'; readonly uuid: string }
  | { readonly kind: 'mig'; readonly index: number; readonly device: number }
  | { readonly kind: 'mig-uuid'; readonly uuid: string };

export function parseSelector(text: string): GpuSelector {
  if (/^\d+$/.test(text)) return { kind: 'index', index: Number(text) };
  const mig = /^(\d+):(\d+)$/.exec(text);
  if (mig) return { kind: 'mig', index: Number(mig[1]), device: Number(mig[2]) };
  if (text.startsWith('MIG-')) return { kind: 'mig-uuid', uuid: text };
  return { kind: 'uuid', uuid: text };
}

/**
 * `--gpus` as typed: `2` is a count (any two free GPUs); `0,1`, `index:0`, `GPU-...,MIG-...` or
 * `0:1` name which. A lone number is always a count, so GPU 0 alone is `index:0`.
 */
export function parseGpusFlag(text: string): GpuRequest {
  const t = text.trim();
  const bad = (why: string): PraetorError => new PraetorError('usage', `--gpus: ${why}, got "${text}"`);
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n === 0) throw new PraetorError('usage', '--gpus 0 grants nothing: leave --gpus out, or name GPU 0 as --gpus index:0');
    if (n > MAX_GPUS) throw bad(`at most ${MAX_GPUS} GPUs`);
    return n;
  }
  const list = t
    .split(',')
    .map((s) => s.trim().replace(/^index:/, ''))
    .filter((s) => s !== '');
  if (list.length === 0 || list.length > MAX_GPUS) throw bad(`name 1 to ${MAX_GPUS} GPUs`);
  for (const s of list) if (!SELECTOR.test(s)) throw bad(SELECTOR_HELP);
  if (new Set(list).size !== list.length) throw bad('a GPU is named twice');
  return list;
}
