"""The benchmark script runs (on a small size; the README's figures come from the full size)."""

from journey_metrics import benchmark


def test_benchmark_runs_on_small_inputs(capsys):
    assert benchmark.main(["--customers", "3000"]) == 0
    printed = capsys.readouterr().out
    assert "CLV: fit BG/NBD + Gamma-Gamma, 3,000 customers" in printed
    assert "Experiment SRM: 3,000 assignments" in printed
