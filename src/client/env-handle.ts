// One environment of the protocol for RL trainers (make, reset, step, close), gym-like.
import type { Transport } from './transport.js';
import type { EnvAction, EnvReset, EnvStep } from './types.js';

export class EnvHandle {
  constructor(
    private readonly transport: Transport,
    readonly id: string,
  ) {}

  /** Starts a fresh episode in a fresh sandbox; the observation is the task's instruction. */
  reset(): Promise<EnvReset> {
    return this.transport.json('POST', `${this.base()}/reset`);
  }

  /** Runs one tool call (or `{name: 'submit'}`) as the episode's next step. */
  step(action: EnvAction): Promise<EnvStep> {
    return this.transport.json('POST', `${this.base()}/step`, { body: { action } });
  }

  /** Ends the episode in progress and forgets the environment. */
  async close(): Promise<void> {
    await this.transport.json('DELETE', this.base());
  }

  private base(): string {
    return `/v1/envs/${encodeURIComponent(this.id)}`;
  }
}
