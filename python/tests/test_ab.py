"""Tests of the canary routing and A/B outcome helpers of python/mlsight.py (route, log_outcome) and of
log_model(..., registered_name=...). Run: python3 -m unittest discover -s python/tests -v
"""
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
sys.path.insert(0, PYDIR)
sys.path.insert(0, HERE)
import mlsight  # noqa: E402
import ab_simulation  # noqa: E402


def write_registry(ws, models, mtime=None):
    d = os.path.join(ws, ".mlsight")
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "registry.json")
    tmp = p + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"format": 1, "models": models}, f)
    os.replace(tmp, p)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def canary_model(share, challenger=2):
    return {"aliases": {"champion": 1, "challenger": challenger}, "versions": {}, "canary": {"challenger": challenger, "share": share}}


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n") or not data
    return [json.loads(x) for x in data.decode("utf-8").splitlines()]


class Workspace(unittest.TestCase):
    def setUp(self):
        self.ws = tempfile.mkdtemp(prefix="mlsight-ab-")
        os.makedirs(os.path.join(self.ws, ".mlsight"))

    def tearDown(self):
        shutil.rmtree(self.ws, ignore_errors=True)


class RouteTest(Workspace):
    def test_champion_without_registry_or_canary(self):
        self.assertEqual(mlsight.route("churn", "u1", workspace=self.ws), "champion")
        write_registry(self.ws, {"churn": {"aliases": {"champion": 1}, "versions": {}, "canary": None}})
        self.assertEqual({mlsight.route("churn", "u%d" % i, workspace=self.ws) for i in range(2000)}, {"champion"})
        self.assertEqual(mlsight.route("other", "u1", workspace=self.ws), "champion")

    def test_broken_or_foreign_registry_routes_to_champion(self):
        p = os.path.join(self.ws, ".mlsight", "registry.json")
        for text in ("{not json", "[]", '{"models": {"churn": {"canary": {"challenger": 2, "share": 1.5}}}}',
                     '{"models": {"churn": {"canary": {"challenger": 2, "share": "0.5"}}}}'):
            with open(p, "w") as f:
                f.write(text)
            os.utime(p, (time.time() + len(text), time.time() + len(text)))
            self.assertEqual(mlsight.route("churn", "u1", workspace=self.ws), "champion", text)

    def test_hash_is_the_documented_one(self):
        write_registry(self.ws, {"churn": canary_model(0.3)})
        for key in ("u1", "user-42", "ü-ключ", "x" * 300):
            h = hashlib.sha256(("churn" + "\0" + key).encode("utf-8")).digest()
            bucket = int.from_bytes(h[:8], "big") / 2.0 ** 64
            self.assertEqual(mlsight.route("churn", key, workspace=self.ws), "challenger" if bucket < 0.3 else "champion")
        # numbers are hashed as their decimal text, bytes as themselves
        self.assertEqual(mlsight.route("churn", 12345, workspace=self.ws), mlsight.route("churn", "12345", workspace=self.ws))
        self.assertEqual(mlsight.route("churn", b"abc", workspace=self.ws), mlsight.route("churn", "abc", workspace=self.ws))

    def test_deterministic_sticky_and_across_processes(self):
        write_registry(self.ws, {"churn": canary_model(0.25)})
        keys = ["k%d" % i for i in range(500)]
        first = [mlsight.route("churn", k, workspace=self.ws) for k in keys]
        self.assertEqual(first, [mlsight.route("churn", k, workspace=self.ws) for k in keys])
        script = "import json,sys; sys.path.insert(0, %r); import mlsight; print(json.dumps([mlsight.route('churn', 'k%%d' %% i, workspace=%r) for i in range(500)]))" % (PYDIR, self.ws)
        out = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, check=True, env=dict(os.environ, PYTHONHASHSEED="123"))
        self.assertEqual(json.loads(out.stdout.decode()), first, "sticky across processes (no dependence on str hash seeds)")

    def test_share_accuracy_over_100k_keys(self):
        for share in (0.05, 0.5):
            write_registry(self.ws, {"churn": canary_model(share)}, mtime=time.time() + share * 100)
            n = 100000
            c = sum(1 for i in range(n) if mlsight.route("churn", "req-%d" % i, workspace=self.ws) == "challenger")
            tol = 4 * math.sqrt(share * (1 - share) / n)
            self.assertLess(abs(c / n - share), tol, "share %s: %d of %d" % (share, c, n))

    def test_raising_the_share_only_moves_champion_keys(self):
        write_registry(self.ws, {"churn": canary_model(0.05)}, mtime=1000)
        keys = ["u%d" % i for i in range(5000)]
        small = {k for k in keys if mlsight.route("churn", k, workspace=self.ws) == "challenger"}
        write_registry(self.ws, {"churn": canary_model(0.2)}, mtime=2000)
        large = {k for k in keys if mlsight.route("churn", k, workspace=self.ws) == "challenger"}
        self.assertTrue(small < large)

    def test_cached_until_the_file_changes(self):
        p = write_registry(self.ws, {"churn": canary_model(0.999)}, mtime=1000)
        self.assertEqual(mlsight.route("churn", "u1", workspace=self.ws), "challenger")
        reads = []
        real_open = open

        def counting_open(*a, **k):
            if a and a[0] == p:
                reads.append(a[0])
            return real_open(*a, **k)

        import builtins
        builtins.open = counting_open
        try:
            for _ in range(50):
                mlsight.route("churn", "u1", workspace=self.ws)
            self.assertEqual(reads, [], "not re-read while unchanged")
            write_registry(self.ws, {"churn": {"aliases": {}, "versions": {}, "canary": None}}, mtime=2000)
            self.assertEqual(mlsight.route("churn", "u1", workspace=self.ws), "champion", "re-read when its mtime changes")
            self.assertEqual(len(reads), 1)
        finally:
            builtins.open = real_open
        os.unlink(p)
        self.assertEqual(mlsight.route("churn", "u1", workspace=self.ws), "champion")

    def test_finds_the_workspace_like_the_logger(self):
        write_registry(self.ws, {"churn": canary_model(0.999)})
        sub = os.path.join(self.ws, "src", "serve")
        os.makedirs(sub)
        script = "import sys; sys.path.insert(0, %r); import mlsight; print(mlsight.route('churn', 'u1'))" % PYDIR
        env = dict(os.environ)
        env.pop("MLSIGHT_WORKSPACE", None)
        out = subprocess.run([sys.executable, "-c", script], cwd=sub, stdout=subprocess.PIPE, check=True, env=env)
        self.assertEqual(out.stdout.decode().strip(), "challenger")

    def test_bad_model_name(self):
        with self.assertRaises(ValueError):
            mlsight.route("", "k", workspace=self.ws)


class LogOutcomeTest(Workspace):
    def test_writes_one_json_object_per_line(self):
        write_registry(self.ws, {"churn": canary_model(0.5)})
        rec = mlsight.log_outcome("churn", "u1", workspace=self.ws, converted=True, revenue=12.5, items=3)
        path = os.path.join(self.ws, ".mlsight", "ab", "churn.jsonl")
        self.assertEqual(mlsight.ab_outcomes_path("churn", workspace=self.ws), path)
        [line] = read_lines(path)
        self.assertEqual(line, rec)
        self.assertEqual(line["model"], "churn")
        self.assertEqual(line["variant"], mlsight.route("churn", "u1", workspace=self.ws))
        self.assertEqual(line["request_key"], "u1")
        self.assertEqual((line["converted"], line["revenue"], line["items"]), (1, 12.5, 3))
        mlsight.log_outcome("churn", 7, variant="challenger", workspace=self.ws, converted=False)
        self.assertEqual(read_lines(path)[1]["variant"], "challenger")
        self.assertEqual(read_lines(path)[1]["request_key"], 7)

    def test_rejects_bad_input(self):
        for kwargs in ({}, {"variant": "x", "converted": 1}, {"model": 1}, {"request_key": 1}, {"ts": 1},
                       {"converted": float("nan")}, {"converted": "yes"}):
            with self.assertRaises((ValueError, TypeError), msg=str(kwargs)):
                mlsight.log_outcome("churn", "u1", workspace=self.ws, **kwargs)
        self.assertFalse(os.path.exists(mlsight.ab_outcomes_path("churn", workspace=self.ws)))

    def test_hostile_model_name_stays_in_the_ab_folder(self):
        for name in ("../../etc/passwd", "a/b\\c", "..", "fraud détection"):
            p = mlsight.ab_outcomes_path(name, workspace=self.ws)
            self.assertEqual(os.path.dirname(p), os.path.join(self.ws, ".mlsight", "ab"), name)
            mlsight.log_outcome(name, "k", workspace=self.ws, converted=1)
            self.assertEqual(read_lines(p)[-1]["model"], name)
        self.assertEqual(os.path.basename(mlsight.ab_outcomes_path("fraud détection", workspace=self.ws)), "fraud_d_tection.jsonl")

    def test_concurrent_processes_lose_and_tear_nothing(self):
        write_registry(self.ws, {"churn": canary_model(0.3)})
        script = textwrap.dedent("""
            import sys; sys.path.insert(0, %r); import mlsight
            w = int(sys.argv[1])
            for i in range(400):
                mlsight.log_outcome('churn', 'w%%d-%%d' %% (w, i), workspace=%r, converted=i %% 2, note_len=len('x' * 2000))
        """ % (PYDIR, self.ws))
        procs = [subprocess.Popen([sys.executable, "-c", script, str(w)]) for w in range(6)]
        for p in procs:
            self.assertEqual(p.wait(60), 0)
        lines = read_lines(mlsight.ab_outcomes_path("churn", workspace=self.ws))
        self.assertEqual(len(lines), 2400)
        self.assertEqual(len({x["request_key"] for x in lines}), 2400)


class LogModelRegisteredNameTest(Workspace):
    def test_model_event_carries_the_request(self):
        os.environ["MLSIGHT_WORKSPACE"] = self.ws
        try:
            with mlsight.start_run(experiment="ab", name="r", capture=False) as run:
                run.log_model({"w": 1}, name="clf", registered_name="churn model")
                run.log_model({"w": 2}, name="other")
                events_path = os.path.join(run.run_dir, "events.jsonl")
            with self.assertRaises(ValueError):
                with mlsight.start_run(experiment="ab", name="bad", capture=False) as r2:
                    r2.log_model({"w": 1}, name="clf", registered_name=" padded ")
        finally:
            del os.environ["MLSIGHT_WORKSPACE"]
        models = [e for e in read_lines(events_path) if e["type"] == "model"]
        self.assertEqual(models[0]["registered_name"], "churn model")
        self.assertRegex(models[0]["register_id"], r"^[0-9a-f]{32}$")
        self.assertNotIn("registered_name", models[1])


class SimulationTest(Workspace):
    def test_twenty_thousand_requests_with_a_known_lift(self):
        write_registry(self.ws, {"churn": canary_model(0.2)})
        s = ab_simulation.simulate(self.ws, "churn", 20000, lift=0.4, seed=7)
        n = s["counts"]["champion"] + s["counts"]["challenger"]
        self.assertEqual(n, 20000)
        self.assertLess(abs(s["counts"]["challenger"] / n - 0.2), 4 * math.sqrt(0.2 * 0.8 / n))
        rate = {k: s["conversions"][k] / s["counts"][k] for k in ("champion", "challenger")}
        self.assertAlmostEqual(rate["champion"], 0.10, delta=0.01)
        self.assertAlmostEqual(rate["challenger"], 0.14, delta=0.015)
        lines = read_lines(s["file"])
        self.assertEqual(len(lines), 20000)
        self.assertEqual(sum(1 for x in lines if x["variant"] == "challenger"), s["counts"]["challenger"])


if __name__ == "__main__":
    unittest.main()
