"""``PraetorEnv``: a gym-like environment over praetord's environment protocol, for rollout
workers (ROLL, verl, GEM): ``reset()`` -> ``(observation, info)``, ``step(action)`` ->
``(observation, reward, terminated, truncated, info)``, ``close()``.

Each step runs one tool call in a fresh guarded sandbox of the episode; ``info["alerts"]`` names
the alerts that step raised (with their step), and the terminal reward is the verifier's less the
safety penalty. An action is a tool call ``{"name": "bash", "arguments": {"command": "ls"}}``,
the text of a bash command (``"ls -la"``), or ``"submit"`` to end the episode and be scored.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, Optional, Tuple, Union

from .client import Env, Praetor

Action = Union[str, Dict[str, Any]]
SUBMIT = "submit"


class PraetorEnv:
    """One task, many episodes: each ``reset()`` starts a fresh episode in a fresh sandbox."""

    def __init__(self, task: Dict[str, Any], *, client: Optional[Praetor] = None, host: Optional[str] = None, api_key: Optional[str] = None) -> None:
        self.task = dict(task)
        self._own_client = client is None
        self.client = client if client is not None else Praetor(host=host, api_key=api_key)
        self._env: Optional[Env] = None
        self._ids = itertools.count(1)
        self.episode_id: Optional[str] = None

    def reset(self, *, seed: Optional[int] = None, options: Optional[Dict[str, Any]] = None) -> Tuple[str, Dict[str, Any]]:
        """Starts a fresh episode (an episode in progress ends as aborted). ``seed`` and
        ``options`` are accepted for gym compatibility; the task decides what the episode is."""
        del seed, options
        if self._env is None:
            self._env = self.client.envs.create(self.task)
        answer = self._env.reset()
        info = answer.get("info", {})
        self.episode_id = info.get("episodeId")
        return answer["observation"], info

    def step(self, action: Action) -> Tuple[str, float, bool, bool, Dict[str, Any]]:
        if self._env is None:
            raise RuntimeError("call reset() before step()")
        answer = self._env.step(self._tool_call(action))
        return (
            answer["observation"],
            float(answer["reward"]),
            bool(answer["terminated"]),
            bool(answer["truncated"]),
            answer.get("info", {}),
        )

    def close(self) -> None:
        """Ends the episode in progress (aborted) and forgets the environment."""
        env, self._env = self._env, None
        try:
            if env is not None:
                env.close()
        finally:
            if self._own_client:
                self.client.close()

    def _tool_call(self, action: Action) -> Dict[str, Any]:
        if isinstance(action, str):
            if action.strip() == SUBMIT:
                return {"name": SUBMIT}
            return {"id": f"call-{next(self._ids)}", "name": "bash", "arguments": {"command": action}}
        call = dict(action)
        if call.get("name") != SUBMIT:
            call.setdefault("id", f"call-{next(self._ids)}")
            call.setdefault("arguments", {})
        return call

    def __enter__(self) -> "PraetorEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
