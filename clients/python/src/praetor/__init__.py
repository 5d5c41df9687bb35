"""praetor: the Python client of praetord (guarded sandboxes for AI agents). Standard library only.

    from praetor import Praetor, PraetorEnv
"""

from .client import Archive, Env, Envs, Files, Praetor, Sandbox, Sandboxes, Session
from .env import PraetorEnv
from .errors import PraetorError
from .results import ExecEvent, ExecResult
from .transport import DEFAULT_SOCKET, Transport, UnixHTTPConnection

__all__ = [
    "Archive",
    "DEFAULT_SOCKET",
    "Env",
    "Envs",
    "ExecEvent",
    "ExecResult",
    "Files",
    "Praetor",
    "PraetorEnv",
    "PraetorError",
    "Sandbox",
    "Sandboxes",
    "Session",
    "Transport",
    "UnixHTTPConnection",
]
__version__ = "0.1.0"
