"""Tests of python/mlsight.py (stdlib unittest): python3 -m unittest discover -s python/tests -v

numpy / pandas / torch parts are skipped when those are not installed. Subprocess tests run real scripts that import
the module from python/ (PYTHONPATH), as a user's training script would.
"""
import ast
import glob
import hashlib
import importlib.util
import io
import json
import math
import os
import pickle
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import uuid

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
sys.path.insert(0, PYDIR)
import mlsight  # noqa: E402

HAS_NUMPY = importlib.util.find_spec("numpy") is not None
HAS_PANDAS = importlib.util.find_spec("pandas") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_GIT = shutil.which("git") is not None
POSIX = os.name == "posix"
MODULE_SRC = os.path.join(PYDIR, "mlsight.py")


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_events(path, allow_torn=False):
    """Complete lines of a run log as dicts; a last line without its newline is a torn write (allowed or not)."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    tail = lines.pop()
    if tail and not allow_torn:
        raise AssertionError("last line of %s is not terminated: %r" % (path, tail[:200]))
    return [json.loads(line.decode("utf-8")) for line in lines if line.strip()]


def run_logs(ws):
    return sorted(glob.glob(os.path.join(ws, ".mlsight", "runs", "*", "events.jsonl")))


def only_run_log(test, ws):
    logs = run_logs(ws)
    test.assertEqual(len(logs), 1, "exactly one run in %s: %s" % (ws, logs))
    return logs[0]


def sub_env(**extra):
    env = dict(os.environ)
    env.pop("MLSIGHT_WORKSPACE", None)
    env.pop("MLSIGHT_EXPERIMENT", None)
    env.pop("PYTHONHASHSEED", None)
    env["PYTHONPATH"] = PYDIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def write_script(ws, code, name="script.py"):
    path = os.path.join(ws, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(code))
    return path


def run_script(ws, code, env=None, timeout=120, name="script.py"):
    write_script(ws, code, name)
    return subprocess.run([sys.executable, name], cwd=ws, env=env or sub_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, universal_newlines=True)


def git(cwd, *args):
    p = subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com"] + list(args), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        raise AssertionError("git %s: %s" % (" ".join(args), p.stderr))
    return p.stdout.strip()


class Child:
    """A script started in the background that prints "ready" when it is logging."""

    def __init__(self, ws, code, env=None):
        write_script(ws, code)
        self.p = subprocess.Popen([sys.executable, "script.py"], cwd=ws, env=env or sub_env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, universal_newlines=True)
        self.timer = threading.Timer(60, self.p.kill)
        self.timer.start()

    def wait_ready(self):
        line = self.p.stdout.readline()
        if "ready" not in line:
            self.p.kill()
            raise AssertionError("child did not get ready: %r %s" % (line, self.p.stderr.read()))

    def finish(self):
        try:
            _, err = self.p.communicate(timeout=60)
        finally:
            self.timer.cancel()
        return self.p.returncode, err

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        self.timer.cancel()


class Base(unittest.TestCase):
    def setUp(self):
        self.ws = os.path.realpath(tempfile.mkdtemp(prefix="mlsight-py-"))
        os.mkdir(os.path.join(self.ws, ".mlsight"))
        saved_env = dict(os.environ)

        def restore():
            for r in list(mlsight._active):
                if r._pid == os.getpid():
                    r.end("FINISHED")
            mlsight._pending_seed = None
            os.environ.clear()
            os.environ.update(saved_env)
            shutil.rmtree(self.ws, ignore_errors=True)
        self.addCleanup(restore)

    def start(self, **kw):
        kw.setdefault("workspace", self.ws)
        kw.setdefault("capture", False)
        return mlsight.start_run(**kw)

    def events(self, run, type_=None):
        ev = read_events(run.events_path)
        return [e for e in ev if e["type"] == type_] if type_ else ev

    def path(self, *parts):
        return os.path.join(self.ws, *parts)

    def write(self, name, data):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb" if isinstance(data, bytes) else "w", **({} if isinstance(data, bytes) else {"encoding": "utf-8", "newline": ""})) as f:
            f.write(data)
        return p


# ---------------------------------------------------------------------------------------------------------------------


class TestWorkspace(Base):
    def test_env_var_wins(self):
        other = os.path.join(self.ws, "elsewhere")
        os.environ["MLSIGHT_WORKSPACE"] = other
        self.assertEqual(mlsight.find_workspace(self.ws), other)

    def test_nearest_parent_with_mlsight_or_git(self):
        os.environ.pop("MLSIGHT_WORKSPACE", None)
        deep = self.path("a", "b", "c")
        os.makedirs(deep)
        self.assertEqual(mlsight.find_workspace(deep), self.ws)
        os.mkdir(self.path("a", ".git"))
        self.assertEqual(mlsight.find_workspace(deep), self.path("a"))
        with open(self.path("a", "b", ".git"), "w") as f:  # a worktree's or submodule's .git is a file
            f.write("gitdir: elsewhere\n")
        self.assertEqual(mlsight.find_workspace(deep), self.path("a", "b"))

    def test_falls_back_to_cwd(self):
        os.environ.pop("MLSIGHT_WORKSPACE", None)
        bare = os.path.realpath(tempfile.mkdtemp(prefix="mlsight-bare-"))
        self.addCleanup(shutil.rmtree, bare, True)
        d = bare
        while True:
            if os.path.exists(os.path.join(d, ".git")) or os.path.isdir(os.path.join(d, ".mlsight")):
                self.skipTest("the temp folder is inside a repository or workspace")
            if os.path.dirname(d) == d:
                break
            d = os.path.dirname(d)
        self.assertEqual(mlsight.find_workspace(bare), bare)
        p = run_script(bare, "import mlsight\nwith mlsight.start_run(capture=False): mlsight.log_metric('m', 1)\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(run_logs(bare)), 1)

    def test_script_in_a_subfolder_logs_to_the_workspace_root(self):
        sub = self.path("src", "train")
        os.makedirs(sub)
        write_script(sub, "import mlsight\nwith mlsight.start_run(capture=False) as r: print(r.run_dir)\n")
        p = subprocess.run([sys.executable, "script.py"], cwd=sub, env=sub_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        log = only_run_log(self, self.ws)
        self.assertEqual(os.path.dirname(log), p.stdout.strip())


class TestRunAndEvents(Base):
    def test_run_event_end_event_and_line_format(self):
        with self.start(experiment="exp", name="first", tags={"team": "ml", "n": 3}, description="desc") as run:
            run.log_param("a", 1)
        ev = self.events(run)
        first, last = ev[0], ev[-1]
        self.assertEqual(first["type"], "run")
        self.assertEqual(first["run_id"], run.run_id)
        self.assertEqual(uuid.UUID(hex=run.run_id).version, 4)
        self.assertEqual(len(run.run_id), 32)
        self.assertEqual(os.path.basename(run.run_dir), run.run_id)
        self.assertEqual(run.run_dir, self.path(".mlsight", "runs", run.run_id))
        self.assertEqual((first["experiment"], first["name"], first["description"]), ("exp", "first", "desc"))
        self.assertEqual(first["tags"], {"team": "ml", "n": "3"})
        self.assertEqual(first["format"], 1)
        self.assertEqual(first["start_time"], first["ts"])
        self.assertEqual(last["type"], "end")
        self.assertEqual(last["status"], "FINISHED")
        self.assertGreaterEqual(last["end_time"], first["start_time"])
        self.assertEqual(run.status, "FINISHED")
        for e in ev:
            self.assertIsInstance(e["ts"], int)
        with open(run.events_path, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.endswith(b"\n"))
        self.assertEqual(raw.count(b"\n"), len(ev), "one event per line")

    def test_defaults_for_experiment_and_name(self):
        os.environ["MLSIGHT_EXPERIMENT"] = "from-env"
        with self.start() as run:
            pass
        self.assertEqual(run.experiment, "from-env")
        self.assertRegex(run.name, r"-\d{8}-\d{6}$")
        del os.environ["MLSIGHT_EXPERIMENT"]
        with self.start() as run2:
            pass
        self.assertEqual(run2.experiment, "Default")

    def test_params(self):
        class Obj:
            def __str__(self):
                return "<obj>"
        with self.start() as run:
            run.log_params({"int": 3, "float": 0.1, "str": "rbf", "bool": True, "none": None, "list": [1, "a", None],
                            "dict": {"k": [1.5]}, "big": 2 ** 60, "nan": float("nan"), "inf": float("-inf"),
                            "obj": Obj(), "tuple": (1, 2)})
            run.log_param("int", 4)  # logging again: the last value wins on ingest
            with self.assertRaises(ValueError):
                run.log_param("", 1)
        got = [(e["key"], e["value"]) for e in self.events(run, "param")]
        self.assertEqual(dict(got[:-1]), {"int": 3, "float": 0.1, "str": "rbf", "bool": True, "none": None,
                                          "list": [1, "a", None], "dict": {"k": [1.5]}, "big": str(2 ** 60),
                                          "nan": "NaN", "inf": "-Infinity", "obj": "<obj>", "tuple": [1, 2]})
        self.assertEqual(got[-1], ("int", 4))

    @unittest.skipUnless(HAS_NUMPY, "numpy is not installed")
    def test_numpy_params_and_metrics(self):
        import numpy as np
        with self.start() as run:
            run.log_param("n", np.int64(5))
            run.log_param("flag", np.bool_(True))
            run.log_param("arr", np.arange(3))
            run.log_metric("m", np.float32(0.5))
            run.log_metric("m", np.float64("nan"))
            run.log_metric("i", np.int64(7), step=np.int64(3))
        self.assertEqual([(e["key"], e["value"]) for e in self.events(run, "param")], [("n", 5), ("flag", True), ("arr", [0, 1, 2])])
        self.assertEqual([(e["key"], e["value"], e["step"]) for e in self.events(run, "metric")],
                         [("m", 0.5, 0), ("m", "NaN", 1), ("i", 7.0, 3)])

    def test_metrics_nan_inf_and_steps(self):
        import enum

        class Level(enum.IntEnum):
            HIGH = 3
        with self.start() as run:
            run.log_metric("loss", float("nan"))
            run.log_metric("loss", float("inf"))
            run.log_metric("loss", float("-inf"))
            run.log_metric("loss", 0.25)
            run.log_metric("acc", 1)
            run.log_metric("acc", 0.5, step=10)
            run.log_metric("acc", 0.6)  # continues after the largest step seen
            run.log_metric("acc", 0.7, step=3.0)
            run.log_metrics({"a": 1.0, "b": 2.0}, step=5)
            run.log_metric("big", 2 ** 70)
            run.log_metric("t", True)
            run.log_metric("enum", Level.HIGH)  # an int subclass with its own repr
            for bad in ("0.5", None, [1], object()):
                with self.assertRaises(TypeError):
                    run.log_metric("bad", bad)
            for bad_step in (1.5, float("nan")):
                with self.assertRaises(ValueError):
                    run.log_metric("bad", 1, step=bad_step)
            for bad_step in (True, "3", None.__class__):
                with self.assertRaises(TypeError):
                    run.log_metric("bad", 1, step=bad_step)
        got = [(e["key"], e["value"], e["step"]) for e in self.events(run, "metric")]
        self.assertEqual(got, [
            ("loss", "NaN", 0), ("loss", "Infinity", 1), ("loss", "-Infinity", 2), ("loss", 0.25, 3),
            ("acc", 1, 0), ("acc", 0.5, 10), ("acc", 0.6, 11), ("acc", 0.7, 3), ("a", 1.0, 5), ("b", 2.0, 5),
            ("big", float(2 ** 70), 0), ("t", 1.0, 0), ("enum", 3, 0)])
        with open(run.events_path, encoding="utf-8") as f:
            text = f.read()
        self.assertNotIn("NaN,", text.replace('"NaN"', ""), "no bare NaN (invalid JSON) in the file")
        for line in text.splitlines():
            json.loads(line, parse_constant=lambda c: self.fail("bare %s in %s" % (c, line)))

    def test_tags(self):
        with self.start(tags={"a": "1"}) as run:
            run.set_tag("stage", "dev")
            run.set_tags({"n": 2, "none": None})
            with self.assertRaises(ValueError):
                run.set_tag("", "x")
        self.assertEqual([(e["key"], e["value"]) for e in self.events(run, "tag")],
                         [("stage", "dev"), ("n", "2"), ("none", "None")])

    def test_hostile_strings_round_trip(self):
        nasty = [
            "<script>alert(1)</script>", 'quote " and \\ backslash', "new\nline\r\nand\ttab", "nul\x00byte",
            "unicode é 漢字 🚀", "lone surrogate \udcff", "\u2028line separator\u2029", "../../etc/passwd", " ",
            "'; DROP TABLE runs; --", "{\"type\":\"end\"}\n{\"type\":\"end\"}",
        ]
        with self.start(experiment=nasty[0], name=nasty[2], description=nasty[9], tags={n: n for n in nasty}) as run:
            for n in nasty:
                run.log_param(n, n)
                run.log_metric(n, 1.0)
                run.set_tag(n, n)
            run.log_feature_importance(nasty, list(range(len(nasty))))
            run.log_dataset(nasty[1], [1, 2, 3], role=nasty[0])
        ev = self.events(run)
        with open(run.events_path, "rb") as f:
            raw = f.read()
        self.assertEqual(raw.count(b"\n"), len(ev), "every event is exactly one line whatever its strings")
        raw.decode("utf-8")  # valid UTF-8 even with a lone surrogate
        self.assertEqual(ev[0]["experiment"], nasty[0])
        self.assertEqual(ev[0]["name"], nasty[2])
        self.assertEqual(ev[0]["tags"], {n: n for n in nasty})
        self.assertEqual([e["key"] for e in ev if e["type"] == "param"], nasty)
        self.assertEqual([e["value"] for e in ev if e["type"] == "param"], nasty)
        self.assertEqual([e["key"] for e in ev if e["type"] == "metric"], nasty)
        self.assertEqual([e for e in ev if e["type"] == "feature_importance"][0]["names"], nasty)
        self.assertEqual([e["type"] for e in ev].count("end"), 1)

    def test_end_is_idempotent_and_logging_after_end_raises(self):
        run = self.start()
        self.assertIs(mlsight.active_run(), run)
        run.end()
        run.end("FAILED")
        self.assertIsNone(mlsight.active_run())
        self.assertEqual([e["status"] for e in self.events(run, "end")], ["FINISHED"])
        with self.assertRaises(RuntimeError):
            run.log_metric("late", 1)
        run2 = self.start()
        with self.assertRaises(ValueError):
            run2.end("RUNNING")
        run2.end("KILLED")
        self.assertEqual(self.events(run2, "end")[0]["status"], "KILLED")

    def test_exceptions_in_the_with_block(self):
        with self.assertRaises(ValueError):
            with self.start() as failed:
                raise ValueError("boom")
        end = self.events(failed, "end")[0]
        self.assertEqual(end["status"], "FAILED")
        self.assertEqual(end["error"], "ValueError: boom")
        self.assertIn("Traceback (most recent call last)", end["traceback"])
        self.assertIn('raise ValueError("boom")', end["traceback"])
        with self.assertRaises(KeyboardInterrupt):
            with self.start() as interrupted:
                raise KeyboardInterrupt()
        end = self.events(interrupted, "end")[0]
        self.assertEqual((end["status"], end["signal"]), ("KILLED", "SIGINT"))
        with self.assertRaises(SystemExit):
            with self.start() as ok:
                sys.exit(0)
        self.assertEqual(self.events(ok, "end")[0]["status"], "FINISHED")
        with self.assertRaises(SystemExit):
            with self.start() as bad_exit:
                sys.exit(2)
        self.assertEqual(self.events(bad_exit, "end")[0]["status"], "FAILED")

    def test_nested_runs(self):
        outer = self.start()
        with self.assertRaises(RuntimeError):
            self.start()
        with self.start(nested=True) as inner:
            self.assertIs(mlsight.active_run(), inner)
            mlsight.log_metric("inner", 1)
        self.assertIs(mlsight.active_run(), outer)
        mlsight.log_metric("outer", 1)
        outer.end()
        self.assertEqual(self.events(inner)[0]["tags"], {"mlsight.parent_run_id": outer.run_id})
        self.assertEqual([e["key"] for e in self.events(inner, "metric")], ["inner"])
        self.assertEqual([e["key"] for e in self.events(outer, "metric")], ["outer"])

    def test_module_level_api_starts_a_run_like_mlflow(self):
        os.environ["MLSIGHT_WORKSPACE"] = self.ws
        self.assertIsNone(mlsight.active_run())
        mlsight.log_param("p", 1)  # starts a run
        run = mlsight.active_run()
        self.assertIsNotNone(run)
        self.write("f.txt", "hello")
        mlsight.log_params({"q": 2})
        mlsight.log_metric("m", 1.0, step=2)
        mlsight.log_metrics({"n": 2.0})
        mlsight.set_tag("t", "v")
        mlsight.set_tags({"u": "w"})
        mlsight.log_artifact(self.path("f.txt"))
        mlsight.log_dataset("d", self.path("f.txt"), role="test")
        mlsight.log_model({"w": 1}, name="m")
        mlsight.log_feature_importance(["x"], [1.0])
        mlsight.end_run()
        mlsight.end_run()  # no active run: no-op
        self.assertIsNone(mlsight.active_run())
        types = [e["type"] for e in self.events(run)]
        for t in ("run", "env", "param", "metric", "tag", "artifact", "dataset", "model", "feature_importance", "end"):
            self.assertIn(t, types)
        self.assertEqual(types.count("param"), 2)
        self.assertEqual(types.count("tag"), 2)

    def test_threads_logging_into_one_run(self):
        with self.start() as run:
            def work(i):
                for s in range(300):
                    run.log_metric("thread%d" % i, s * 0.5)
                    run.log_metric("shared", i)
            threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        metrics = self.events(run, "metric")
        self.assertEqual(len(metrics), 8 * 300 * 2)
        for i in range(8):
            self.assertEqual([e["step"] for e in metrics if e["key"] == "thread%d" % i], list(range(300)))
        self.assertEqual(sorted(e["step"] for e in metrics if e["key"] == "shared"), list(range(2400)))


class TestArtifacts(Base):
    def test_file_is_copied_with_size_and_sha256(self):
        src = self.write("out/model weights.bin", os.urandom(300000))
        with self.start() as run:
            rec = run.log_artifact(src)
            rec2 = run.log_artifact(src, artifact_path="checkpoints/epoch-1")
        self.assertEqual(rec, ["artifacts/model weights.bin"])
        self.assertEqual(rec2, ["artifacts/checkpoints/epoch-1/model weights.bin"])
        a, b = self.events(run, "artifact")
        for e, rel in ((a, rec[0]), (b, rec2[0])):
            copy = os.path.join(run.run_dir, *rel.split("/"))
            self.assertEqual(e["path"], rel)
            self.assertEqual(e["size"], 300000)
            self.assertEqual(e["sha256"], sha256_file(src))
            self.assertEqual(sha256_file(copy), sha256_file(src))
            self.assertEqual(e["source"], "out/model weights.bin")
            self.assertEqual(e["kind"], "file")
        self.assertEqual([n for n in os.listdir(run.artifact_dir) if "tmp" in n], [])

    def test_directory_no_copy_and_errors(self):
        self.write("plots/a.png", b"A")
        self.write("plots/sub/b.png", b"BB")
        outside = os.path.realpath(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, outside, True)
        with open(os.path.join(outside, "big.ckpt"), "wb") as f:
            f.write(b"x" * 10)
        with self.start() as run:
            self.assertEqual(run.log_artifact(self.path("plots")), ["artifacts/plots/a.png", "artifacts/plots/sub/b.png"])
            self.assertEqual(run.log_artifact(os.path.join(outside, "big.ckpt"), copy=False), [os.path.join(outside, "big.ckpt")])
            with self.assertRaises(FileNotFoundError):
                run.log_artifact(self.path("missing.txt"))
            for bad in ("../escape", "/abs/path", "a/../../b"):
                with self.assertRaises(ValueError):
                    run.log_artifact(self.path("plots", "a.png"), artifact_path=bad)
            # a file the script wrote straight into the artifacts folder is recorded, not copied onto itself
            os.makedirs(run.artifact_dir, exist_ok=True)
            with open(os.path.join(run.artifact_dir, "report.html"), "w") as f:
                f.write("<h1>hi</h1>")
            self.assertEqual(run.log_artifact(os.path.join(run.artifact_dir, "report.html")), ["artifacts/report.html"])
            # a hostile file name stays inside the run folder
            weird = self.write('we<i>rd:na"me|.txt', "w")
            self.assertEqual(run.log_artifact(weird), ["artifacts/we_i_rd_na_me_.txt"])
        ev = self.events(run, "artifact")
        self.assertEqual([e["size"] for e in ev[:2]], [1, 2])
        self.assertEqual(ev[2]["copied"], False)
        self.assertEqual(ev[2]["sha256"], hashlib.sha256(b"x" * 10).hexdigest())
        self.assertNotIn("source", ev[3])
        self.assertEqual(ev[3]["sha256"], hashlib.sha256(b"<h1>hi</h1>").hexdigest())
        self.assertFalse(os.path.exists(os.path.join(run.artifact_dir, "big.ckpt")))


class TestDatasets(Base):
    def test_csv_file(self):
        p = self.write("data/train.csv", 'id,x,label,flag,note\n1,0.5,cat,true,"multi\nline"\n2,,dog,false,plain\n3,1e3,cat,true,\n')
        with self.start() as run:
            ev = run.log_dataset("pets", p, role="train")
        self.assertEqual(ev, self.events(run, "dataset")[0])
        self.assertEqual(ev["digest"], "sha256:" + sha256_file(p))
        self.assertEqual(ev["rows"], 3, "a quoted newline is not a row")
        self.assertEqual(ev["path"], "data/train.csv")
        self.assertEqual(ev["size"], os.path.getsize(p))
        self.assertEqual(ev["kind"], "file")
        self.assertEqual(ev["role"], "train")
        self.assertEqual(ev["schema"]["format"], "csv")
        self.assertEqual(ev["schema"]["columns"], [
            {"name": "id", "dtype": "int64"}, {"name": "x", "dtype": "float64"}, {"name": "label", "dtype": "object"},
            {"name": "flag", "dtype": "bool"}, {"name": "note", "dtype": "object"}])

    def test_other_file_formats(self):
        import gzip
        tsv = self.write("a.tsv", "a\tb\n1\tx\n2\ty\n")
        gz = self.path("a.csv.gz")
        with gzip.open(gz, "wt", encoding="utf-8") as f:
            f.write("a,b\n1,2\n3,4\n5,6\n")
        jsonl = self.write("a.jsonl", '{"x": 1, "y": "a"}\n\n{"x": 2.5, "y": "b", "z": true}\n')
        npy = self.path("a.npy")
        with open(npy, "wb") as f:  # a .npy file written by hand: the logger reads its header without numpy
            header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }"
            header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
            f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1") + b"\0" * 96)
        blob = self.write("weights.bin", b"\x00\x01binary")
        outside = os.path.realpath(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, outside, True)
        far = os.path.join(outside, "far.csv")
        with open(far, "w") as f:
            f.write("a\n1\n")
        with self.start() as run:
            e_tsv = run.log_dataset("tsv", tsv)
            e_gz = run.log_dataset("gz", gz)
            e_jsonl = run.log_dataset("jsonl", jsonl)
            e_npy = run.log_dataset("npy", npy)
            e_bin = run.log_dataset("bin", blob, role="aux")
            e_far = run.log_dataset("far", far, role="test")
            with self.assertRaises(FileNotFoundError):
                run.log_dataset("missing", self.path("nope.csv"))
        self.assertEqual((e_tsv["rows"], [c["name"] for c in e_tsv["schema"]["columns"]]), (2, ["a", "b"]))
        self.assertEqual((e_gz["rows"], e_gz["schema"]["format"]), (3, "csv.gz"))
        self.assertEqual(e_gz["digest"], "sha256:" + sha256_file(gz), "the digest is of the bytes on disk")
        self.assertEqual(e_jsonl["rows"], 2)
        self.assertEqual(e_jsonl["schema"]["columns"], [{"name": "x", "dtype": "float64"}, {"name": "y", "dtype": "object"},
                                                        {"name": "z", "dtype": "bool"}])
        self.assertEqual((e_npy["rows"], e_npy["schema"]["shape"], e_npy["schema"]["dtype"]), (4, [4, 3], "<f8"))
        self.assertNotIn("rows", e_bin)
        self.assertEqual(e_bin["schema"], {"format": "bin"})
        self.assertEqual(e_far["path"], far, "outside the workspace: absolute")

    def test_directory(self):
        self.write("imgs/cat/1.png", b"c1")
        self.write("imgs/dog/2.png", b"d2")
        with self.start() as run:
            e1 = run.log_dataset("imgs", self.path("imgs"))
            self.write("imgs/dog/2.png", b"d3")
            e2 = run.log_dataset("imgs", self.path("imgs"), role="test")
        expected = hashlib.sha256()
        for rel, data in (("cat/1.png", b"c1"), ("dog/2.png", b"d2")):
            expected.update(rel.encode() + b"\0" + hashlib.sha256(data).hexdigest().encode() + b"\n")
        self.assertEqual(e1["digest"], "sha256:" + expected.hexdigest())
        self.assertEqual((e1["kind"], e1["files"], e1["size"]), ("directory", 2, 4))
        self.assertNotEqual(e1["digest"], e2["digest"], "a changed file changes the digest")

    def test_in_memory_objects(self):
        rows = [{"a": 1}, {"a": 2}]
        with self.start() as run:
            e = run.log_dataset("rows", rows, source=self.path("raw.json"))
            same = run.log_dataset("rows", [{"a": 1}, {"a": 2}], role="copy")
            with self.assertRaises(TypeError):
                run.log_dataset("fn", lambda: 1)
        self.assertEqual((e["kind"], e["rows"], e["path"]), ("object", 2, "raw.json"))
        self.assertEqual(e["digest"], same["digest"])

    @unittest.skipUnless(HAS_NUMPY, "numpy is not installed")
    def test_numpy_array(self):
        import numpy as np
        a = np.arange(12, dtype=np.float32).reshape(4, 3)
        with self.start() as run:
            e = run.log_dataset("X", a)
            e_same = run.log_dataset("X", a.copy(), role="copy")
            e_fortran = run.log_dataset("X", np.asfortranarray(a), role="fortran")
            e_diff = run.log_dataset("X", a + 1, role="other")
            e_obj = run.log_dataset("O", np.array([1, "a", None], dtype=object))
            e_rec = run.log_dataset("R", np.zeros(2, dtype=[("x", "<i4"), ("y", "<f8")]))
        self.assertEqual((e["kind"], e["rows"], e["schema"]), ("numpy", 4, {"dtype": "float32", "shape": [4, 3]}))
        self.assertEqual(e["digest"], e_same["digest"])
        self.assertEqual(e["digest"], e_fortran["digest"], "the digest is of the values, not the memory layout")
        self.assertNotEqual(e["digest"], e_diff["digest"])
        self.assertEqual(e_obj["rows"], 3)
        self.assertEqual(e_rec["schema"]["columns"], [{"name": "x", "dtype": "int32"}, {"name": "y", "dtype": "float64"}])

    @unittest.skipUnless(HAS_PANDAS, "pandas is not installed")
    def test_pandas_dataframe_and_series(self):
        import pandas as pd
        df = pd.DataFrame({"x": [1, 2, 3], "y": [0.5, float("nan"), 1.5], "label": ["a", "b", "a"]})
        with self.start() as run:
            e = run.log_dataset("df", df, source=self.path("data", "raw.csv"))
            e_same = run.log_dataset("df", df.copy(), role="copy")
            e_diff = run.log_dataset("df", df.assign(x=[1, 2, 4]), role="changed")
            e_series = run.log_dataset("s", df["x"], role="target")
            e_lists = run.log_dataset("lists", pd.DataFrame({"v": [[1], [2]]}))  # unhashable cells
        self.assertEqual(e["kind"], "pandas")
        self.assertEqual(e["rows"], 3)
        self.assertEqual(e["path"], "data/raw.csv")
        self.assertEqual(e["schema"]["columns"], [{"name": "x", "dtype": "int64"}, {"name": "y", "dtype": "float64"},
                                                  {"name": "label", "dtype": "object"}])
        self.assertEqual(e["digest"], e_same["digest"])
        self.assertNotEqual(e["digest"], e_diff["digest"])
        self.assertEqual((e_series["rows"], e_series["schema"]["columns"]), (3, [{"name": "x", "dtype": "int64"}]))
        self.assertEqual(e_lists["rows"], 2)
        self.assertTrue(e_lists["digest"].startswith("sha256:"))

    @unittest.skipUnless(HAS_TORCH, "torch is not installed")
    def test_torch_tensor(self):
        import torch
        with self.start() as run:
            e = run.log_dataset("t", torch.ones(5, 2))
        self.assertEqual((e["kind"], e["rows"]), ("torch", 5))


class TestModelsAndFeatureImportance(Base):
    def test_model_object_is_pickled(self):
        model = {"coef": [0.1, 0.2], "intercept": 3}
        with self.start() as run:
            rel = run.log_model(model, name="linear/v1")
            rel2 = run.log_model(model)
        self.assertEqual(rel, "artifacts/models/linear_v1/model.pkl")
        self.assertEqual(rel2, "artifacts/models/dict/model.pkl")
        path = os.path.join(run.run_dir, *rel.split("/"))
        with open(path, "rb") as f:
            self.assertEqual(pickle.load(f), model)
        e = self.events(run, "model")[0]
        self.assertEqual((e["name"], e["path"], e["format"], e["class"]), ("linear/v1", rel, "pickle", "builtins.dict"))
        self.assertEqual((e["size"], e["sha256"]), (os.path.getsize(path), sha256_file(path)))
        with self.start() as run2:
            with self.assertRaises(Exception):
                run2.log_model(lambda: 1)
            self.assertEqual([n for n in os.listdir(os.path.join(run2.artifact_dir, "models", "function"))], [],
                             "a failed pickle leaves no file")

    @unittest.skipUnless(HAS_NUMPY, "numpy is not installed")
    def test_model_framework_version(self):
        import numpy as np
        with self.start() as run:
            run.log_model(np.zeros(3), name="arr")
        e = self.events(run, "model")[0]
        self.assertEqual((e["framework"], e["framework_version"]), ("numpy", np.__version__))

    def test_model_file_and_directory(self):
        f = self.write("out/net.pt", b"weights")
        self.write("out/saved/config.json", "{}")
        self.write("out/saved/weights.bin", b"w")
        with self.start() as run:
            self.assertEqual(run.log_model(f), "artifacts/models/net/net.pt")
            self.assertEqual(run.log_model(self.path("out", "saved"), name="hf"), "artifacts/models/hf/saved")
            with self.assertRaises(FileNotFoundError):
                run.log_model(self.path("nope.pt"))
        a, b = self.events(run, "model")
        self.assertEqual((a["format"], a["sha256"], a["size"]), ("pt", hashlib.sha256(b"weights").hexdigest(), 7))
        self.assertEqual((b["format"], b["size"]), ("directory", 3))
        self.assertTrue(os.path.isfile(os.path.join(run.artifact_dir, "models", "hf", "saved", "weights.bin")))

    def test_feature_importance(self):
        with self.start() as run:
            run.log_feature_importance(["a", "b", 3], [0.5, float("nan"), 1])
            run.log_feature_importance(("a",), (0.7,))
            run.log_feature_importance(["a"], [0.1], step=10)
            with self.assertRaises(ValueError):
                run.log_feature_importance(["a", "b"], [1.0])
            with self.assertRaises(TypeError):
                run.log_feature_importance(["a"], ["high"])
        ev = self.events(run, "feature_importance")
        self.assertEqual(ev[0]["names"], ["a", "b", "3"])
        self.assertEqual(ev[0]["values"], [0.5, "NaN", 1])
        self.assertEqual([e["step"] for e in ev], [0, 1, 10])

    @unittest.skipUnless(HAS_NUMPY, "numpy is not installed")
    def test_feature_importance_from_numpy(self):
        import numpy as np
        with self.start() as run:
            run.log_feature_importance(np.array(["f1", "f2"]), np.array([0.25, 0.75]))
        self.assertEqual(self.events(run, "feature_importance")[0]["values"], [0.25, 0.75])


class TestSeed(Base):
    def test_seeds_random_and_records_on_the_active_run(self):
        with self.start() as run:
            info = mlsight.set_seed(123)
            a = [random.random() for _ in range(3)]
            mlsight.set_seed(123)
            b = [random.random() for _ in range(3)]
        self.assertEqual(a, b)
        self.assertEqual(info["seed"], 123)
        self.assertEqual(info["libraries"][0], "random")
        self.assertEqual(os.environ["PYTHONHASHSEED"], "123")
        seeds = self.events(run, "seed")
        self.assertEqual([s["seed"] for s in seeds], [123, 123])
        self.assertEqual(seeds[0]["libraries"], info["libraries"])
        self.assertIn("pythonhashseed", seeds[0])

    def test_seed_set_before_a_run_is_recorded_on_the_next_run_only(self):
        mlsight.set_seed(7)
        with self.start() as run:
            pass
        with self.start() as run2:
            pass
        self.assertEqual([s["seed"] for s in self.events(run, "seed")], [7])
        self.assertEqual(self.events(run2, "seed"), [])

    def test_invalid_seeds(self):
        for bad in (-1, 2 ** 32):
            with self.assertRaises(ValueError):
                mlsight.set_seed(bad)
        for bad in ("42", 1.5, None, True):
            with self.assertRaises(TypeError):
                mlsight.set_seed(bad)
        self.assertEqual(mlsight.set_seed(3.0)["seed"], 3)

    @unittest.skipUnless(HAS_NUMPY, "numpy is not installed")
    def test_numpy_is_seeded(self):
        import numpy as np
        info = mlsight.set_seed(5)
        a = np.random.rand(3)
        mlsight.set_seed(5)
        self.assertEqual(list(a), list(np.random.rand(3)))
        self.assertIn("numpy", info["libraries"])

    @unittest.skipUnless(HAS_TORCH, "torch is not installed")
    def test_torch_is_seeded_with_cudnn_flags(self):
        import torch
        info = mlsight.set_seed(11)
        self.assertEqual(torch.initial_seed(), 11)
        self.assertIn("torch", info["libraries"])
        self.assertTrue(torch.backends.cudnn.deterministic)
        self.assertFalse(torch.backends.cudnn.benchmark)
        self.assertEqual(info["cudnn"], {"deterministic": True, "benchmark": False})

    def test_without_numpy_pandas_torch(self):
        """Simulates an environment where none of them is installed: everything still works."""
        p = run_script(self.ws, """
            import sys, importlib.abc
            class Block(importlib.abc.MetaPathFinder):
                def find_spec(self, name, path=None, target=None):
                    if name.split(".")[0] in ("numpy", "pandas", "torch", "tensorflow", "pyarrow"):
                        raise ModuleNotFoundError(name)
                    return None
            sys.meta_path.insert(0, Block())
            import mlsight
            info = mlsight.set_seed(1)
            assert info["libraries"] == ["random"], info
            with mlsight.start_run() as run:
                run.log_dataset("rows", [[1, 2], [3, 4]])
                run.log_metric("m", float("nan"))
            print("ok")
            """)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "ok")
        ev = read_events(only_run_log(self, self.ws))
        self.assertEqual([e["seed"] for e in ev if e["type"] == "seed"], [1])
        self.assertEqual(ev[-1]["status"], "FINISHED")

    def test_logging_imports_no_heavy_library(self):
        self.write("d.csv", "a\n1\n")
        p = run_script(self.ws, """
            import sys, mlsight
            with mlsight.start_run() as run:
                run.log_params({"a": 1})
                run.log_metric("m", 1.0)
                run.log_dataset("d", "d.csv")
                run.log_model({"w": 1})
                run.log_artifact("d.csv")
                run.log_feature_importance(["a"], [1.0])
            print(sorted(m for m in ("numpy", "pandas", "torch", "pyarrow") if m in sys.modules))
            """)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), "[]")


class TestCapture(Base):
    def test_environment_and_packages(self):
        p = run_script(self.ws, """
            import mlsight
            with mlsight.start_run(experiment="env") as run:
                print(run.run_dir)
            """)
        self.assertEqual(p.returncode, 0, p.stderr)
        log = only_run_log(self, self.ws)
        run_dir = os.path.dirname(log)
        ev = read_events(log)
        self.assertEqual([e["type"] for e in ev][:2], ["run", "env"])
        env = ev[1]
        self.assertEqual(env["python"], platform.python_version())
        self.assertEqual(env["python_executable"], sys.executable)
        self.assertIn("script.py", env["command"])
        self.assertEqual(os.path.realpath(env["script"]), os.path.realpath(os.path.join(self.ws, "script.py")))
        self.assertEqual(os.path.realpath(env["cwd"]), self.ws)
        self.assertTrue(env["platform"])
        self.assertIsInstance(env["pid"], int)
        self.assertTrue(env["logger"].startswith("mlsight-py "))
        req = [e for e in ev if e["type"] == "artifact" and e["kind"] == "requirements"]
        self.assertEqual(len(req), 1)
        req_path = os.path.join(run_dir, "requirements.txt")
        self.assertEqual(req[0]["path"], "requirements.txt")
        self.assertEqual((req[0]["sha256"], req[0]["size"]), (sha256_file(req_path), os.path.getsize(req_path)))
        with open(req_path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), req[0]["packages"])
        self.assertEqual(lines, sorted(lines, key=lambda l: l.split("==")[0].lower()))
        for line in lines:
            self.assertRegex(line, r"^[A-Za-z0-9_.\-]+==\S+$")
        from importlib import metadata
        pip = [d for d in metadata.distributions() if (d.metadata["Name"] or "").lower() == "pip"]
        if pip:
            self.assertIn("pip==" + pip[0].version, lines)

    def test_capture_false_skips_env_git_and_packages(self):
        with self.start(capture=False) as run:
            pass
        self.assertEqual([e["type"] for e in self.events(run)], ["run", "end"])
        self.assertFalse(os.path.exists(os.path.join(run.run_dir, "requirements.txt")))

    @unittest.skipUnless(HAS_GIT, "git is not installed")
    def test_git_clean_dirty_and_untracked(self):
        git(self.ws, "init", "-q")
        git(self.ws, "checkout", "-q", "-b", "feature/x")
        self.write("train.txt", "v1\n")
        write_script(self.ws, "import mlsight\nwith mlsight.start_run(): pass\n")
        git(self.ws, "add", "train.txt", "script.py")
        git(self.ws, "commit", "-q", "-m", "one")
        head = git(self.ws, "rev-parse", "HEAD")
        self.write("untracked.txt", "not part of the tree")

        def one_run():
            for f in run_logs(self.ws):
                shutil.rmtree(os.path.dirname(f))
            p = subprocess.run([sys.executable, "script.py"], cwd=self.ws, env=sub_env(), stderr=subprocess.PIPE,
                               universal_newlines=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            log = only_run_log(self, self.ws)
            return read_events(log), os.path.dirname(log)

        ev, run_dir = one_run()
        g = [e for e in ev if e["type"] == "git"][0]
        self.assertEqual((g["commit"], g["branch"], g["dirty"]), (head, "feature/x", False), "untracked files do not count")
        self.assertEqual(os.path.realpath(g["root"]), self.ws)
        self.assertNotIn("diff", g)
        self.assertFalse(os.path.exists(os.path.join(run_dir, "git.diff")))

        self.write("train.txt", "v2\n")
        ev, run_dir = one_run()
        g = [e for e in ev if e["type"] == "git"][0]
        self.assertTrue(g["dirty"])
        self.assertEqual(g["diff"], "git.diff")
        with open(os.path.join(run_dir, "git.diff"), encoding="utf-8") as f:
            diff = f.read()
        self.assertIn("-v1", diff)
        self.assertIn("+v2", diff)
        self.assertNotIn("untracked", diff)
        art = [e for e in ev if e["type"] == "artifact" and e["kind"] == "git_diff"][0]
        self.assertEqual(art["sha256"], sha256_file(os.path.join(run_dir, "git.diff")))

        git(self.ws, "checkout", "-q", "--detach")
        ev, _ = one_run()
        g = [e for e in ev if e["type"] == "git"][0]
        self.assertNotIn("branch", g, "a detached HEAD has no branch")
        self.assertEqual(g["commit"], head)

    @unittest.skipUnless(HAS_GIT, "git is not installed")
    def test_git_repository_without_commits(self):
        git(self.ws, "init", "-q")
        self.write("a.txt", "x\n")
        git(self.ws, "add", "a.txt")
        p = run_script(self.ws, "import mlsight\nwith mlsight.start_run(): pass\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        ev = read_events(only_run_log(self, self.ws))
        g = [e for e in ev if e["type"] == "git"][0]
        self.assertNotIn("commit", g)
        self.assertTrue(g["dirty"])
        self.assertEqual(ev[-1]["status"], "FINISHED")

    def test_no_git_or_not_a_repository(self):
        empty_bin = os.path.realpath(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, empty_bin, True)
        for env in (sub_env(PATH=empty_bin), sub_env(GIT_CEILING_DIRECTORIES=os.path.dirname(self.ws))):
            for f in run_logs(self.ws):
                shutil.rmtree(os.path.dirname(f))
            p = run_script(self.ws, "import mlsight\nwith mlsight.start_run(): mlsight.log_metric('m', 1)\n", env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, "")
            ev = read_events(only_run_log(self, self.ws))
            self.assertEqual([e for e in ev if e["type"] == "git"], [])
            self.assertEqual(ev[-1]["status"], "FINISHED")


class TestProcesses(Base):
    def test_crash_in_with_block_is_failed_with_traceback(self):
        p = run_script(self.ws, """
            import mlsight
            def train():
                raise RuntimeError("diverged at step 3")
            with mlsight.start_run(capture=False):
                mlsight.log_metric("loss", 1.0)
                train()
            """)
        self.assertEqual(p.returncode, 1)
        self.assertIn("RuntimeError: diverged at step 3", p.stderr, "the user still sees the traceback")
        ev = read_events(only_run_log(self, self.ws))
        end = ev[-1]
        self.assertEqual((end["type"], end["status"]), ("end", "FAILED"))
        self.assertEqual(end["error"], "RuntimeError: diverged at step 3")
        self.assertIn("in train", end["traceback"])
        self.assertIn('raise RuntimeError("diverged at step 3")', end["traceback"])

    def test_crash_without_with_block_is_failed_through_excepthook(self):
        p = run_script(self.ws, """
            import mlsight
            mlsight.start_run(capture=False)
            mlsight.log_metric("loss", 1.0)
            {}["missing"]
            """)
        self.assertEqual(p.returncode, 1)
        self.assertIn("KeyError", p.stderr)
        end = read_events(only_run_log(self, self.ws))[-1]
        self.assertEqual((end["status"], end["error"]), ("FAILED", "KeyError: 'missing'"))

    def test_normal_exit_without_with_block_is_finished(self):
        p = run_script(self.ws, "import mlsight\nmlsight.log_metric('m', 2.0)\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        end = read_events(only_run_log(self, self.ws))[-1]
        self.assertEqual((end["type"], end["status"]), ("end", "FINISHED"))

    LOOP = """
        import time, mlsight
        with mlsight.start_run(capture=False):
            mlsight.log_metric("loss", 1.0)
            print("ready", flush=True)
            while True:
                time.sleep(0.01)
        """

    @unittest.skipUnless(POSIX, "POSIX signals")
    def test_sigterm_is_killed_and_the_process_still_dies_of_it(self):
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                for f in run_logs(self.ws):
                    shutil.rmtree(os.path.dirname(f))
                c = Child(self.ws, self.LOOP)
                try:
                    c.wait_ready()
                    c.p.send_signal(sig)
                    rc, err = c.finish()
                finally:
                    c.kill()
                self.assertEqual(rc, -sig, err)
                end = read_events(only_run_log(self, self.ws))[-1]
                self.assertEqual((end["type"], end["status"], end["signal"]), ("end", "KILLED", sig.name))

    @unittest.skipUnless(POSIX, "POSIX signals")
    def test_sigterm_chains_to_the_scripts_own_handler(self):
        c = Child(self.ws, """
            import signal, sys, time, mlsight
            def graceful(signum, frame):
                open("handler-ran", "w").close()
                sys.exit(0)
            signal.signal(signal.SIGTERM, graceful)
            with mlsight.start_run(capture=False):
                print("ready", flush=True)
                while True:
                    time.sleep(0.01)
            """)
        try:
            c.wait_ready()
            c.p.send_signal(signal.SIGTERM)
            rc, err = c.finish()
        finally:
            c.kill()
        self.assertEqual(rc, 0, err)
        self.assertTrue(os.path.exists(self.path("handler-ran")), "the previous handler was called")
        end = read_events(only_run_log(self, self.ws))[-1]
        self.assertEqual((end["status"], end["signal"]), ("KILLED", "SIGTERM"))

    @unittest.skipUnless(POSIX, "POSIX signals")
    def test_sigint_is_killed(self):
        c = Child(self.ws, self.LOOP)
        try:
            c.wait_ready()
            c.p.send_signal(signal.SIGINT)
            rc, err = c.finish()
        finally:
            c.kill()
        self.assertNotEqual(rc, 0)
        self.assertIn("KeyboardInterrupt", err)
        end = read_events(only_run_log(self, self.ws))[-1]
        self.assertEqual((end["status"], end["signal"]), ("KILLED", "SIGINT"))
        self.assertIn("KeyboardInterrupt", end["traceback"])

    @unittest.skipUnless(POSIX, "POSIX signals")
    def test_sigkill_leaves_a_readable_log(self):
        c = Child(self.ws, """
            import time, mlsight
            with mlsight.start_run(capture=False):
                mlsight.log_param("p", "x" * 5000)
                print("ready", flush=True)
                step = 0
                while True:
                    mlsight.log_metric("loss/" + "k" * 3000, step * 0.5, step=step)
                    step += 1
                    time.sleep(0.0002)
            """)
        try:
            c.wait_ready()
            time.sleep(0.3)
            c.p.send_signal(signal.SIGKILL)
            rc, _ = c.finish()
        finally:
            c.kill()
        self.assertEqual(rc, -signal.SIGKILL)
        log = only_run_log(self, self.ws)
        ev = read_events(log, allow_torn=True)  # every complete line parses; a torn last line is left aside
        self.assertEqual(ev[0]["type"], "run")
        self.assertNotIn("end", [e["type"] for e in ev], "killed with no chance to write: the run stays RUNNING")
        steps = [e["step"] for e in ev if e["type"] == "metric"]
        self.assertGreater(len(steps), 10)
        self.assertEqual(steps, list(range(len(steps))), "no line was lost or interleaved before the last one")

    @unittest.skipUnless(hasattr(os, "fork"), "os.fork")
    def test_forked_child_logs_but_does_not_end_the_run(self):
        p = run_script(self.ws, """
            import os, sys, mlsight
            with mlsight.start_run(capture=False) as run:
                pid = os.fork()
                if pid == 0:
                    mlsight.log_metric("child", 1.0)
                else:
                    os.waitpid(pid, 0)
                    mlsight.log_metric("parent", 2.0)
            """)
        self.assertEqual(p.returncode, 0, p.stderr)
        ev = read_events(only_run_log(self, self.ws))
        self.assertEqual(sorted(e["key"] for e in ev if e["type"] == "metric"), ["child", "parent"])
        self.assertEqual([e["type"] for e in ev].count("end"), 1)
        self.assertEqual(ev[-1]["type"], "end")

    def test_eight_processes_log_concurrently_into_one_workspace(self):
        write_script(self.ws, """
            import sys, mlsight
            i = int(sys.argv[1])
            with mlsight.start_run(experiment="sweep", name="trial-%d" % i) as run:
                run.log_params({"lr": 10 ** -i, "trial": i})
                for step in range(400):
                    run.log_metric("loss", 1.0 / (step + 1) + i, step=step)
                    run.log_metric("nan", float("nan"), step=step)
                run.log_dataset("d", "d.csv")
            """)
        self.write("d.csv", "a,b\n1,2\n")
        procs = [subprocess.Popen([sys.executable, "script.py", str(i)], cwd=self.ws, env=sub_env(),
                                  stderr=subprocess.PIPE, universal_newlines=True) for i in range(8)]
        for pr in procs:
            _, err = pr.communicate(timeout=120)
            self.assertEqual(pr.returncode, 0, err)
        logs = run_logs(self.ws)
        self.assertEqual(len(logs), 8)
        trials = set()
        for log in logs:
            ev = read_events(log)
            self.assertEqual(ev[0]["type"], "run")
            self.assertEqual(ev[0]["run_id"], os.path.basename(os.path.dirname(log)))
            i = [e["value"] for e in ev if e["type"] == "param" and e["key"] == "trial"][0]
            trials.add(i)
            self.assertEqual(ev[0]["name"], "trial-%d" % i)
            loss = [e for e in ev if e["type"] == "metric" and e["key"] == "loss"]
            self.assertEqual([e["step"] for e in loss], list(range(400)))
            self.assertAlmostEqual(loss[0]["value"], 1.0 + i)
            self.assertEqual(len([e for e in ev if e["type"] == "metric" and e["value"] == "NaN"]), 400)
            self.assertEqual((ev[-1]["type"], ev[-1]["status"]), ("end", "FINISHED"))
        self.assertEqual(trials, set(range(8)))


class TestModuleSource(unittest.TestCase):
    def test_python_3_8_syntax(self):
        with open(MODULE_SRC, encoding="utf-8") as f:
            src = f.read()
        ast.parse(src, filename=MODULE_SRC, feature_version=(3, 8))

    @unittest.skipUnless(hasattr(sys, "stdlib_module_names"), "needs Python >= 3.10")
    def test_imports_only_the_standard_library(self):
        with open(MODULE_SRC, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
        optional = {"pyarrow"}  # imported inside a function, only when installed
        self.assertEqual(sorted(n for n in names if n not in sys.stdlib_module_names and n not in optional), [])

    def test_public_api(self):
        for name in mlsight.__all__:
            self.assertTrue(hasattr(mlsight, name), name)
        for method in ("log_param", "log_params", "log_metric", "log_metrics", "log_artifact", "set_tag", "set_tags",
                       "log_dataset", "log_model", "log_feature_importance", "end"):
            self.assertTrue(callable(getattr(mlsight.Run, method)), method)


if __name__ == "__main__":
    unittest.main()
