"""An A/B simulation through mlsight.route and mlsight.log_outcome (used by test_ab.py and by the extension's
TypeScript tests, which then analyse the outcomes it wrote).

    python3 ab_simulation.py <workspace> <model> [requests=20000] [lift=0.4] [seed=7]

Each request key ("user-<i>") is routed with the canary share in <workspace>/.mlsight/registry.json; the champion
converts with probability 0.10, the challenger with 0.10 * (1 + lift); latency_ms is the same for both arms
(a guardrail that does not move). Prints a JSON summary: counts per arm and conversions per arm.
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import mlsight  # noqa: E402

BASE_RATE = 0.10


def simulate(workspace, model, requests=20000, lift=0.4, seed=7):
    rng = random.Random(seed)
    counts = {"champion": 0, "challenger": 0}
    conversions = {"champion": 0, "challenger": 0}
    for i in range(requests):
        key = "user-%d" % i
        variant = mlsight.route(model, key, workspace=workspace)
        p = BASE_RATE if variant == "champion" else BASE_RATE * (1 + lift)
        converted = rng.random() < p
        latency = round(rng.gauss(100.0, 15.0), 3)
        mlsight.log_outcome(model, key, workspace=workspace, converted=converted, latency_ms=latency)
        counts[variant] += 1
        conversions[variant] += int(converted)
    return {"counts": counts, "conversions": conversions, "file": mlsight.ab_outcomes_path(model, workspace=workspace)}


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    ws, name = args[0], args[1]
    n = int(args[2]) if len(args) > 2 else 20000
    lift = float(args[3]) if len(args) > 3 else 0.4
    seed = int(args[4]) if len(args) > 4 else 7
    print(json.dumps(simulate(ws, name, n, lift, seed)))
