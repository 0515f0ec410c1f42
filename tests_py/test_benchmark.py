"""The benchmark script runs (on a small size; the README's figures come from the full size)."""

from journey_metrics import benchmark


def test_benchmark_runs_on_small_inputs(capsys):
    assert benchmark.main(["--customers", "3000"]) == 0
    printed = capsys.readouterr().out
    assert "CLV: fit BG/NBD + Gamma-Gamma, 3,000 customers" in printed
    assert "Experiment SRM: 3,000 assignments" in printed


def test_incremental_benchmark_reads_model_timings_and_compares_tables(tmp_path):
    import duckdb

    from journey_metrics import incremental_benchmark

    run_results = {"results": [
        {"unique_id": "model.journey_metrics.base_events", "execution_time": 1.5},
        {"unique_id": "test.journey_metrics.not_null_x.abc", "execution_time": 9.0},
    ]}
    assert incremental_benchmark.model_seconds(run_results) == {"base_events": 1.5}

    for name, rows in (("a", "(1), (2), (2)"), ("b", "(1), (2), (3)")):
        (tmp_path / name).mkdir()
        with duckdb.connect(str(tmp_path / name / "w.duckdb")) as con:
            con.execute(f"create table t as select * from (values {rows}) as v(x)")
    # a has one 2 too many, b has a 3 that a lacks
    assert incremental_benchmark.differences(tmp_path / "a" / "w.duckdb", tmp_path / "b" / "w.duckdb", "t") == 2
