"""The Python client against a real praetord, started by the Node test
src/client/invariants/python-client-drives-praetord.test.ts, which passes where it listens and the
keys it made in the environment:

  PRAETOR_TEST_SOCKET    the daemon's unix socket (no key: the implicit admin)
  PRAETOR_TEST_URL       its loopback TCP address
  PRAETOR_TEST_KEY_SANDBOXES, PRAETOR_TEST_KEY_OTHER (scope sandboxes), PRAETOR_TEST_KEY_LIMITED
  (scope sandboxes, one live sandbox), PRAETOR_TEST_KEY_ENVS (scope envs), PRAETOR_TEST_KEY_READ

Without them every test here is skipped, saying why; the Node test fails on any skip.
"""

import io
import os
import tarfile
import threading
import time
import unittest

from praetor import Praetor, PraetorEnv, PraetorError, Sandbox

ENV = os.environ
NEEDS_DAEMON = unittest.skipUnless(ENV.get("PRAETOR_TEST_SOCKET") and ENV.get("PRAETOR_TEST_URL"), "no test daemon (run through the Node test)")


def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def files_of(tar_bytes):
    out = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                out[member.name.lstrip("./")] = tar.extractfile(member).read().decode()
    return out


def status_of(fn):
    try:
        fn()
        return 200
    except PraetorError as err:
        return err.status


class SandboxFlow:
    """The same flow on each transport; subclasses say which client."""

    def client(self):
        raise NotImplementedError

    def setUp(self):
        self.praetor = self.client()

    def tearDown(self):
        self.praetor.close()

    def test_create_exec_destroy(self):
        sandbox = self.praetor.sandboxes.create(env={"GREETING": "hello"}, labels={"from": "python"})
        self.assertEqual(sandbox.state, "running")
        self.assertIn(sandbox.id, [s["id"] for s in self.praetor.sandboxes.list()])
        first = sandbox.exec('echo "$GREETING from $(pwd)"; echo oops >&2; exit 3')
        self.assertEqual((first.exit_code, first.stdout, first.stderr), (3, "hello from /workspace\n", "oops\n"))
        second = sandbox.exec(["cat"], stdin="piped")
        self.assertEqual(second.stdout, "piped")
        self.assertEqual(second.step, first.step + 1)
        kinds = [e.type for e in sandbox.exec_stream("echo out; echo err >&2")]
        self.assertEqual(sorted(kinds[:-1]), ["stderr", "stdout"])
        self.assertEqual(kinds[-1], "exit")
        sandbox.destroy()
        self.assertEqual(status_of(lambda: self.praetor.sandboxes.get(sandbox.id)), 404)

    def test_session_keeps_cwd_and_env(self):
        with self.praetor.sandboxes.create() as sandbox:
            with sandbox.session() as session:
                session.exec("mkdir -p /tmp/deep/er && cd /tmp/deep/er && export MARK=kept-$((20+22))")
                self.assertEqual(session.exec('echo "$(pwd) $MARK"').stdout, "/tmp/deep/er kept-42\n")
            self.assertEqual(sandbox.exec('echo "$(pwd) ${MARK:-unset}"').stdout, "/workspace unset\n")

    def test_files_and_archives_round_trip(self):
        with self.praetor.sandboxes.create(workspace_tar=tar_of({"seed.txt": "from the create body\n"})) as sandbox:
            self.assertEqual(sandbox.files.read("/workspace/seed.txt"), b"from the create body\n")
            data = bytes([0, 1, 2, 255, 254, 10])
            sandbox.files.write("/workspace/sub/bin.dat", data)
            self.assertEqual(sandbox.files.read("sub/bin.dat"), data)
            self.assertEqual([(e["name"], e["type"]) for e in sandbox.files.list("/workspace")], [("seed.txt", "file"), ("sub", "directory")])
            sandbox.archive.upload("/workspace/unpacked", tar_of({"a.txt": "A\n", "b/c.txt": "C\n"}))
            self.assertEqual(sandbox.exec("cat /workspace/unpacked/b/c.txt").stdout, "C\n")
            self.assertEqual(files_of(sandbox.archive.download("/workspace/unpacked")), {"a.txt": "A\n", "b/c.txt": "C\n"})


@NEEDS_DAEMON
class OverSocket(SandboxFlow, unittest.TestCase):
    def client(self):
        return Praetor(host="unix:" + ENV["PRAETOR_TEST_SOCKET"], api_key="")


@NEEDS_DAEMON
class OverTcp(SandboxFlow, unittest.TestCase):
    def client(self):
        return Praetor(host=ENV["PRAETOR_TEST_URL"], api_key=ENV["PRAETOR_TEST_KEY_SANDBOXES"])


@NEEDS_DAEMON
class Events(unittest.TestCase):
    def test_alert_arrives_with_its_step_while_the_step_runs(self):
        praetor = Praetor(host=ENV["PRAETOR_TEST_URL"], api_key=ENV["PRAETOR_TEST_KEY_SANDBOXES"])
        listener = Praetor(host=ENV["PRAETOR_TEST_URL"], api_key=ENV["PRAETOR_TEST_KEY_SANDBOXES"])
        with praetor.sandboxes.create(guard_mode="monitor") as sandbox:
            seen = {}
            stream = listener.events(sandbox=sandbox.id, types=["alert"])

            def follow():
                for event in stream:
                    if event["type"] == "alert":
                        seen["event"], seen["at"] = event, time.monotonic()
                        return

            thread = threading.Thread(target=follow, daemon=True)
            thread.start()
            time.sleep(0.3)
            result = sandbox.exec("mkdir -p ~/.ssh && echo k > ~/.ssh/id_rsa && cat ~/.ssh/id_rsa >/dev/null; sleep 3")
            ended = time.monotonic()
            thread.join(5)
            stream.close()
            self.assertIn("event", seen, "no alert on the event stream")
            self.assertEqual(seen["event"]["step"], result.step)
            self.assertEqual(seen["event"]["data"]["ruleId"], "ssh-private-key-read")
            self.assertGreater(ended - seen["at"], 1.0, "the alert came while the step ran")
            self.assertTrue(any(a["ruleId"] == "ssh-private-key-read" and a["step"] == result.step for a in result.alerts))
        praetor.close()
        listener.close()


@NEEDS_DAEMON
class EnvProtocol(unittest.TestCase):
    def test_reset_step_close(self):
        task = {"id": "touch-done", "instruction": "create /workspace/done", "verifier": "test -f /workspace/done"}
        env = PraetorEnv(task, host=ENV["PRAETOR_TEST_URL"], api_key=ENV["PRAETOR_TEST_KEY_ENVS"])
        try:
            observation, info = env.reset()
            self.assertEqual(observation, "create /workspace/done")
            self.assertEqual(info["step"], 0)
            observation, reward, terminated, truncated, info = env.step("touch /workspace/done && echo made")
            self.assertIn("made", observation)
            self.assertEqual((reward, terminated, truncated), (0.0, False, False))
            observation, reward, terminated, truncated, info = env.step("submit")
            self.assertEqual((reward, terminated, truncated), (1.0, True, False))
            self.assertEqual(info["status"], "completed")
            # A second episode of the same task starts clean.
            observation, info = env.reset()
            observation, reward, terminated, truncated, info = env.step({"name": "submit"})
            self.assertEqual(reward, 0.0)
        finally:
            env.close()


@NEEDS_DAEMON
class Keys(unittest.TestCase):
    def test_401_403_429(self):
        url = ENV["PRAETOR_TEST_URL"]
        for key in ("", "pk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):
            with Praetor(host=url, api_key=key) as anonymous:
                self.assertEqual(status_of(anonymous.sandboxes.list), 401)
        with Praetor(host=url, api_key=ENV["PRAETOR_TEST_KEY_READ"]) as reader:
            self.assertEqual(status_of(reader.sandboxes.create), 403)
        with Praetor(host=url, api_key=ENV["PRAETOR_TEST_KEY_ENVS"]) as trainer:
            self.assertEqual(status_of(trainer.sandboxes.create), 403)
        with Praetor(host=url, api_key=ENV["PRAETOR_TEST_KEY_LIMITED"]) as limited:
            with limited.sandboxes.create():
                self.assertEqual(status_of(limited.sandboxes.create), 429)

    def test_another_keys_sandbox_is_invisible(self):
        url = ENV["PRAETOR_TEST_URL"]
        with Praetor(host=url, api_key=ENV["PRAETOR_TEST_KEY_SANDBOXES"]) as owner, Praetor(host=url, api_key=ENV["PRAETOR_TEST_KEY_OTHER"]) as other:
            with owner.sandboxes.create() as mine:
                self.assertEqual(status_of(lambda: other.sandboxes.get(mine.id)), 404)
                self.assertNotIn(mine.id, [s["id"] for s in other.sandboxes.list()])
                stolen = Sandbox(other.transport, {"id": mine.id})
                self.assertEqual(status_of(lambda: stolen.exec("echo stolen")), 404)
                self.assertEqual(status_of(lambda: stolen.files.read("/workspace")), 404)
                self.assertEqual(status_of(stolen.destroy), 404)
                self.assertEqual(status_of(lambda: next(other.events(sandbox=mine.id))), 404)
                self.assertEqual(mine.exec("echo still mine").stdout, "still mine\n")


if __name__ == "__main__":
    unittest.main()
