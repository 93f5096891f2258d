"""log_predictions / log_evaluation (issue 14): per-example predictions for the paired promotion test."""
import json
import os
import unittest

from test_mlsight import Base, read_events


class TestPredictions(Base):
    def test_log_evaluation_writes_dataset_predictions_and_metrics(self):
        run = self.start()
        data = self.write("data/test.csv", "x,y\n1,0\n2,1\n3,1\n")
        run.log_evaluation("test.csv", data, [0, 1, 1], [0, 1, 0], metrics={"val/accuracy": 2 / 3})
        rel = "artifacts/predictions/test.csv-test.json"
        with open(os.path.join(run.run_dir, rel)) as f:
            rec = json.load(f)
        ds = [e for e in read_events(run.events_path) if e["type"] == "dataset"][0]
        self.assertEqual(rec["digest"], ds["digest"])
        self.assertEqual((rec["y_true"], rec["y_pred"], rec["n"], rec["role"]), ([0, 1, 1], [0, 1, 0], 3, "test"))
        art = [e for e in read_events(run.events_path) if e["type"] == "artifact" and e.get("kind") == "predictions"]
        self.assertEqual(art[0]["path"], rel)
        self.assertIn("val/accuracy", [e["key"] for e in read_events(run.events_path) if e["type"] == "metric"])
        run.end()

    def test_labels_are_numbers_or_strings_and_lengths_must_match(self):
        run = self.start()
        run.log_predictions(["a", "b"], [True, 2.5], dataset="d", role="eval")
        with open(os.path.join(run.run_dir, "artifacts", "predictions", "d-eval.json")) as f:
            rec = json.load(f)
        self.assertEqual(rec["y_pred"], [1, 2.5])
        self.assertIsNone(rec["digest"], "no dataset logged under that name and role")
        with self.assertRaises(ValueError):
            run.log_predictions([1, 2], [1])
        with self.assertRaises(ValueError):
            run.log_predictions([[1, 2]], [1])
        run.end()


if __name__ == "__main__":
    unittest.main()
