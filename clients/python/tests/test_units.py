"""Unit tests of the Python client that need no daemon: addresses, the event-stream reader,
option spelling, error bodies, and the environment's actions."""

import io
import unittest

from praetor import PraetorEnv, PraetorError
from praetor.errors import error_from_response
from praetor.results import ExecResult, camel
from praetor.sse import read_events
from praetor.transport import DEFAULT_SOCKET, parse_host


class ParseHostTest(unittest.TestCase):
    def test_default_socket(self):
        self.assertEqual(parse_host(None), ("unix", DEFAULT_SOCKET, None, ""))
        self.assertEqual(parse_host(""), ("unix", DEFAULT_SOCKET, None, ""))

    def test_unix_forms(self):
        self.assertEqual(parse_host("unix:/tmp/p.sock")[:2], ("unix", "/tmp/p.sock"))
        self.assertEqual(parse_host("unix:///tmp/p.sock")[:2], ("unix", "/tmp/p.sock"))
        self.assertEqual(parse_host("/tmp/p.sock")[:2], ("unix", "/tmp/p.sock"))

    def test_http_forms(self):
        self.assertEqual(parse_host("http://127.0.0.1:8700"), ("http", "127.0.0.1", 8700, ""))
        self.assertEqual(parse_host("https://praetor.example/api/"), ("https", "praetor.example", 443, "/api"))

    def test_refuses_what_is_not_an_address(self):
        for bad in ("ftp://x", "unix:relative.sock", "localhost:8700"):
            with self.assertRaises(PraetorError, msg=bad):
                parse_host(bad)


class EventReaderTest(unittest.TestCase):
    def test_events_comments_and_multiline_data(self):
        stream = io.BytesIO(
            b": praetor events\n\n"
            b"event: alert\ndata: {\"a\": 1}\n\n"
            b": keepalive\n\n"
            b"event: stdout\r\ndata: line one\r\ndata: line two\r\nid: 7\r\n\r\n"
            b"data: no name\n\n"
            b"event: cut\ndata: never finished\n"
        )
        events = list(read_events(stream))
        self.assertEqual([(e.event, e.data, e.id) for e in events], [
            ("alert", '{"a": 1}', None),
            ("stdout", "line one\nline two", "7"),
            ("message", "no name", "7"),
        ])


class ShapesTest(unittest.TestCase):
    def test_camel(self):
        self.assertEqual(camel({"allow_domains": ["a"], "cpus": 1, "guardMode": "block", "guard_min_severity": "high"}),
                         {"allowDomains": ["a"], "cpus": 1, "guardMode": "block", "guardMinSeverity": "high"})

    def test_exec_result(self):
        r = ExecResult.from_json({"step": 3, "exitCode": 0, "stdout": "hi\n", "stderr": "", "durationMs": 1.5, "timedOut": False,
                                  "signal": None, "alerts": [{"ruleId": "x", "step": 3}], "actions": []})
        self.assertEqual((r.step, r.exit_code, r.stdout, r.timed_out), (3, 0, "hi\n", False))
        self.assertEqual(r.alerts[0]["step"], 3)

    def test_error_bodies(self):
        e = error_from_response(429, b'{"error": {"code": "quota", "message": "maxSandboxes: 2 live"}}')
        self.assertEqual((e.status, e.code, e.message), (429, "quota", "maxSandboxes: 2 live"))
        e = error_from_response(502, b"Bad Gateway\nmore")
        self.assertEqual((e.status, e.code, e.message), (502, "http-502", "Bad Gateway"))


class EnvActionTest(unittest.TestCase):
    def test_text_actions_become_bash_calls_and_submit_ends(self):
        env = PraetorEnv({"id": "t", "instruction": "x"}, host="unix:/nonexistent.sock")
        self.assertEqual(env._tool_call("ls -la"), {"id": "call-1", "name": "bash", "arguments": {"command": "ls -la"}})
        self.assertEqual(env._tool_call("submit"), {"name": "submit"})
        self.assertEqual(env._tool_call({"name": "read_file", "arguments": {"path": "a"}}),
                         {"id": "call-2", "name": "read_file", "arguments": {"path": "a"}})

    def test_step_before_reset_is_refused(self):
        env = PraetorEnv({"id": "t", "instruction": "x"}, host="unix:/nonexistent.sock")
        with self.assertRaises(RuntimeError):
            env.step("true")

    def test_unreachable_daemon_is_one_error(self):
        env = PraetorEnv({"id": "t", "instruction": "x"}, host="unix:/nonexistent.sock")
        with self.assertRaises(PraetorError) as caught:
            env.reset()
        self.assertEqual((caught.exception.status, caught.exception.code), (0, "unreachable"))


if __name__ == "__main__":
    unittest.main()
