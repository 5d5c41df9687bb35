// What a sandbox may ask for: a number of GPUs, or a list of selectors (an index, a GPU uuid, a
// MIG instance by uuid or as GPU:device). One schema for the library, the service, task files and
// the environment protocol; the CLI's --gpus text is parsed into the same shape (gpu-selector.ts).
import { z } from 'zod';
import { MAX_GPUS, SELECTOR, SELECTOR_HELP } from './gpu-selector.js';

export const GpuSelectorSchema = z.string().regex(SELECTOR, SELECTOR_HELP).describe('One GPU or MIG instance.');

export const GpuRequestSchema = z
  .union([
    z.number().int().min(1).max(MAX_GPUS),
    z
      .array(GpuSelectorSchema)
      .min(1)
      .max(MAX_GPUS)
      .refine((list) => new Set(list).size === list.length, 'a GPU is named twice'),
  ])
  .describe('GPUs to grant: how many (any free ones), or which (indexes, GPU-/MIG- uuids, GPU:device for a MIG instance).');
