// `praetor episode run` through praetord: the policy (a script or a model loop) runs here and each
// tool call it makes is a step of the daemon's environment protocol, so the daemon's guard watches
// it and the daemon's store keeps the episode. Messages of the policy stay in its history here
// (the protocol has no step for them).
import type { AgentPolicy, HistoryEntry } from '../agent/policies/policy.js';
import type { EpisodeRecord, StepRecord, Task } from '../episode/episode-model.js';
import type { DaemonTarget } from '../client/target.js';
import type { EnvStep } from '../client/types.js';
import { describeEpisode, describeStep } from './episode-format.js';
import { EXIT } from './exit-codes.js';
import { clientFor, viaDaemon } from './remote.js';

export async function runEpisodeRemote(target: DaemonTarget, task: Task, policy: AgentPolicy, json: boolean): Promise<number> {
  const praetor = clientFor(target);
  try {
    return await viaDaemon(target, async () => {
      const env = await praetor.envs.create({ ...task });
      let episodeId = '';
      try {
        const reset = await env.reset();
        episodeId = reset.info.episodeId;
        const history: HistoryEntry[] = [];
        const deadline = Date.now() + task.budgets.maxSeconds * 1000;
        let last: EnvStep | null = null;
        while (last === null || (!last.terminated && !last.truncated)) {
          if (Date.now() > deadline) break;
          const decision = await policy.next({ instruction: task.instruction, history }, AbortSignal.timeout(Math.max(1, deadline - Date.now())));
          if (decision.kind === 'done') break;
          if (decision.kind === 'message') {
            history.push({ call: null, text: decision.text, observation: null });
            continue;
          }
          last = await env.step({ id: decision.call.id, name: decision.call.name, arguments: decision.call.arguments });
          history.push({ call: decision.call, text: decision.text ?? null, observation: { content: last.observation, isError: false, denied: last.info.denied } });
          if (!json) await printLastStep(praetor, episodeId);
        }
        if (last === null || (!last.terminated && !last.truncated)) last = await env.step({ name: 'submit' });
      } finally {
        await env.close().catch(() => undefined);
      }
      const { episode, steps } = (await praetor.episodes.get(episodeId)) as unknown as { episode: EpisodeRecord; steps: StepRecord[] };
      if (json) process.stdout.write(`${JSON.stringify({ episode, steps })}\n`);
      else process.stdout.write(`\n${describeEpisode(episode, steps)}`);
      return episode.status === 'completed' ? EXIT.ok : episode.status === 'terminated' ? EXIT.policyDenied : 1;
    });
  } finally {
    praetor.close();
  }
}

async function printLastStep(praetor: ReturnType<typeof clientFor>, episodeId: string): Promise<void> {
  const { episode, steps } = (await praetor.episodes.get(episodeId)) as unknown as { episode: EpisodeRecord; steps: StepRecord[] };
  const step = steps.at(-1);
  if (step !== undefined) process.stdout.write(`${describeStep(step, episode.startedAt).join('\n')}\n`);
}
