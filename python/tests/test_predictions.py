"""Tests of the prediction log of python/mlsight.py (log_prediction, log_label), read by ML Sight's drift report.
Run: python3 -m unittest discover -s python/tests -v
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
sys.path.insert(0, PYDIR)
import mlsight  # noqa: E402


def read_lines(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().decode("utf-8").splitlines() if line.strip()]


class PredictionLogTest(unittest.TestCase):
    def setUp(self):
        self.ws = tempfile.mkdtemp(prefix="mlsight-pred-")

    def tearDown(self):
        shutil.rmtree(self.ws, ignore_errors=True)

    def test_one_line_per_prediction_with_generated_id(self):
        pid = mlsight.log_prediction("churn model", {"age": 31, "plan": "pro", "score": 0.25}, 1, workspace=self.ws)
        self.assertRegex(pid, r"^[0-9a-f]{32}$")
        path = mlsight.predictions_path("churn model", workspace=self.ws)
        self.assertEqual(path, os.path.join(self.ws, ".mlsight", "predictions", "churn_model.jsonl"))
        [rec] = read_lines(path)
        self.assertEqual(rec["id"], pid)
        self.assertEqual(rec["features"], {"age": 31, "plan": "pro", "score": 0.25})
        self.assertEqual(rec["prediction"], 1)
        self.assertNotIn("label", rec)
        self.assertIsInstance(rec["ts"], int)

    def test_given_id_label_and_timestamps(self):
        t = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
        self.assertEqual(mlsight.log_prediction("m", {"x": 1.5}, 0.9, label=1, timestamp=t, prediction_id="r-1", workspace=self.ws), "r-1")
        mlsight.log_prediction("m", {"x": 2}, 0.1, timestamp=1714564800.5, prediction_id=7, workspace=self.ws)
        mlsight.log_prediction("m", {"x": 3}, 0.2, timestamp="2024-05-01T12:00:00Z", workspace=self.ws)
        a, b, c = read_lines(mlsight.predictions_path("m", workspace=self.ws))
        self.assertEqual((a["id"], a["label"], a["ts"]), ("r-1", 1, 1714564800000))
        self.assertEqual((b["id"], b["ts"]), ("7", 1714564800500))
        self.assertEqual(c["ts"], 1714564800000)
        with self.assertRaises(ValueError):
            mlsight.log_prediction("m", {"x": 1}, 0, timestamp="yesterday", workspace=self.ws)
        with self.assertRaises(TypeError):
            mlsight.log_prediction("m", [1, 2], 0, workspace=self.ws)
        with self.assertRaises(ValueError):
            mlsight.log_prediction("", {"x": 1}, 0, workspace=self.ws)

    def test_non_finite_values_are_strings(self):
        mlsight.log_prediction("m", {"a": float("nan"), "b": float("inf"), "c": float("-inf"), "d": None}, float("nan"), workspace=self.ws)
        with open(mlsight.predictions_path("m", workspace=self.ws), "rb") as f:
            text = f.read().decode("utf-8")
        json.loads(text)  # strict JSON: no bare NaN
        self.assertNotIn("NaN,", text.replace('"NaN"', ""))
        [rec] = read_lines(mlsight.predictions_path("m", workspace=self.ws))
        self.assertEqual(rec["features"], {"a": "NaN", "b": "Infinity", "c": "-Infinity", "d": None})
        self.assertEqual(rec["prediction"], "NaN")

    def test_late_label_line(self):
        pid = mlsight.log_prediction("m", {"x": 1}, 0, workspace=self.ws)
        self.assertEqual(mlsight.log_label("m", pid, 1, workspace=self.ws), pid)
        mlsight.log_label("m", pid, 0, workspace=self.ws)
        lines = read_lines(mlsight.predictions_path("m", workspace=self.ws))
        self.assertEqual(len(lines), 3)
        self.assertEqual([(l["id"], l["label"]) for l in lines[1:]], [(pid, 1), (pid, 0)])
        self.assertTrue(all("features" not in l for l in lines[1:]))
        with self.assertRaises(ValueError):
            mlsight.log_label("m", None, 1, workspace=self.ws)

    def test_numpy_and_pandas_scalars(self):
        try:
            import numpy as np
        except ImportError:
            self.skipTest("numpy is not installed")
        mlsight.log_prediction("m", {"i": np.int64(3), "f": np.float32(0.5), "n": np.float64("nan"), "b": np.bool_(True)},
                               np.float64(0.75), label=np.int32(1), workspace=self.ws)
        [rec] = read_lines(mlsight.predictions_path("m", workspace=self.ws))
        self.assertEqual(rec["features"], {"i": 3, "f": 0.5, "n": "NaN", "b": True})
        self.assertEqual((rec["prediction"], rec["label"]), (0.75, 1))
        try:
            import pandas as pd
        except ImportError:
            return
        row = pd.Series({"x": np.int64(2), "t": pd.Timestamp("2024-01-02T03:04:05"), "na": pd.NA})
        mlsight.log_prediction("m", row, "yes", workspace=self.ws)
        rec = read_lines(mlsight.predictions_path("m", workspace=self.ws))[1]
        self.assertEqual(rec["features"], {"x": 2, "t": "2024-01-02T03:04:05", "na": None})

    def test_many_processes_append_whole_lines(self):
        script = textwrap.dedent("""
            import sys
            sys.path.insert(0, %r)
            import mlsight
            for i in range(200):
                mlsight.log_prediction("m", {"w": int(sys.argv[1]), "i": i, "pad": "x" * 300}, i, workspace=%r)
        """ % (PYDIR, self.ws))
        procs = [subprocess.Popen([sys.executable, "-c", script, str(w)]) for w in range(4)]
        for p in procs:
            self.assertEqual(p.wait(timeout=60), 0)
        lines = read_lines(mlsight.predictions_path("m", workspace=self.ws))
        self.assertEqual(len(lines), 800)
        self.assertEqual(len({l["id"] for l in lines}), 800)


if __name__ == "__main__":
    unittest.main()
