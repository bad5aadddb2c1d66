import math

from bench import report
from bench import workload as w


def _result(peer: str, label: str, rate: float) -> dict:
    ops = {op: {"rows": 100, "seconds": 100 / rate, "rate": rate, "rounds": [rate]} for op in w.OPS}
    return {"peer": peer, "label": label, "versions": {}, "models": {"simple": ops}, "skipped": {}}


def test_geometric_mean_of_equal_rates_is_that_rate():
    assert math.isclose(report.geometric_mean([10.0, 1000.0]), 100.0)
    assert math.isnan(report.geometric_mean([]))
    assert math.isnan(report.geometric_mean([5.0, 0.0]))


def test_markdown_shows_rates_and_ratios_to_asyncpg():
    table = report.markdown(
        [_result("asyncpg", "asyncpg (raw)", 1000.0), _result("x", "X", 250.0)], ["simple"]
    )
    assert "| operation | asyncpg (raw) | X |" in table
    assert "| A insert single | 1,000 (1.00×) | 250 (0.25×) |" in table
    assert "| **geometric mean** | **1,000 (1.00×)** | **250 (0.25×)** |" in table


def test_markdown_without_the_baseline_has_no_ratios_and_dashes_for_missing_models():
    table = report.markdown([_result("x", "X", 250.0)], ["simple", "wide"])
    assert "| K delete | 250 |" in table
    assert "### wide" not in table


def test_best_keeps_the_fastest_run_per_operation():
    slow, fast = _result("x", "X", 100.0), _result("x", "X", 300.0)
    slow["models"]["simple"]["A"]["rate"] = 500.0
    merged = report.best([slow, fast])
    assert merged["runs"] == 2
    assert merged["models"]["simple"]["A"]["rate"] == 500.0
    assert merged["models"]["simple"]["B"]["rate"] == 300.0


def test_paired_ratios_are_medians_of_turns_run_back_to_back():
    def run(rounds: list[float]) -> dict:
        ops = {op: {"rate": max(rounds), "rounds": rounds} for op in w.OPS}
        return {"models": {"simple": ops}}

    # Two repeats of three rounds: the ratios 0.5, 0.8, 0.9 | 1.0, 0.8, 0.7 have median 0.8.
    mine = [run([50.0, 80.0, 90.0]), run([100.0, 80.0, 70.0])]
    base = [run([100.0, 100.0, 100.0]), run([100.0, 100.0, 100.0])]
    table = report.paired(mine, base, ["simple", "wide"])
    assert "| simple | " + " | ".join(["0.80×"] * len(w.OPS)) + " | **0.80×** |" in table
    assert "| wide |" not in table
