// The group-commit queue both durable stores share: steps appended in one turn of the event loop
// are taken as one batch, and each caller's promise settles when its store has committed (or
// refused) that step. The store decides how a batch is written; this only collects and schedules.
import { StepRecordSchema, type StepRecord, type StepRecordInput } from '../episode-model.js';
import { validate } from './store-rules.js';

export interface PendingStep {
  readonly step: StepRecord;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class StepBatch {
  private readonly pending: PendingStep[] = [];

  /** `flush` runs once per turn of the event loop in which steps were added. */
  constructor(private readonly flush: () => void) {}

  /** Validates the step now (a bad step rejects at once) and queues it for the next flush. */
  add(input: StepRecordInput): Promise<void> {
    return new Promise((resolve, reject) => {
      const step = validate(StepRecordSchema, input, 'step');
      this.pending.push({ step, resolve, reject });
      if (this.pending.length === 1) setImmediate(this.flush);
    });
  }

  /** Everything queued, in order; the queue is empty after. */
  take(): PendingStep[] {
    return this.pending.splice(0);
  }
}
