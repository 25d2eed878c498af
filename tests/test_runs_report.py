"""`python -m t5mt.runs`: ls, show, compare, best and plot over real run folders.

Runs come from real tiny trainings; unusual states (running, failed, higher scores) are copies
of those folders with their run.json, results.json or metrics.csv changed."""

import csv
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from t5mt.run_folder import RunFolder, this_process
from t5mt.runs import render
from t5mt.runs.__main__ import main, parser
from t5mt.runs.summary import RunSummary
from t5mt.runs.sweep import UNSET, swept_parameters
from tests.conftest import SMALL_DATA, run_module


def edit_json(path: Path, **changes: object) -> None:
    """Set keys of a JSON file, nested ones with `__` between levels (val__bleu=3.0)."""
    data = json.loads(path.read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        node = data
        for parent in parents:
            node = node[parent]
        node[key] = value
    path.write_text(json.dumps(data))


def log_metric(run: Path, step: int, **values: float | str) -> None:
    """Append a row to the run's metrics.csv as the CSV logger would."""
    with (run / "metrics.csv").open(newline="") as file:
        header = next(csv.reader(file))
    with (run / "metrics.csv").open("a", newline="") as file:
        row = {"epoch": 0, "step": step, **{k.replace("__", "/"): v for k, v in values.items()}}
        csv.DictWriter(file, header).writerow(row)


@pytest.fixture
def outputs(debug_run: Path, tmp_path: Path) -> Path:
    """outputs/ with a completed, a running and a failed run (copies of a real run)."""
    root = tmp_path / "outputs"
    copy = shutil.ignore_patterns("tokenizer")
    completed = root / "2026-11-27/06-30-00"
    shutil.copytree(debug_run, completed, ignore=copy)
    edit_json(completed / "results.json", val__bleu=12.5, test__bleu=11.25)
    edit_json(completed / "run.json", started="2026-11-27T06:30:00+00:00")

    running = root / "2026-11-27/07-00-00"
    shutil.copytree(debug_run, running, ignore=copy)
    (running / "results.json").unlink()
    run_json = json.loads((running / "run.json").read_text())
    del run_json["finished"]
    # held by a live process (this test's own), so that it is not taken for crashed
    live = {**run_json, "status": "running", **this_process()}
    (running / "run.json").write_text(json.dumps(live))
    log_metric(running, 9, val__bleu=3.5)

    failed = root / "2026-11-28/06-30-00"
    shutil.copytree(debug_run, failed, ignore=copy)
    (failed / "results.json").unlink()
    (failed / "metrics.csv").unlink()
    edit_json(failed / "run.json", status="failed", started="2026-11-28T06:30:00+00:00")
    return root


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A real two-job sweep over the learning rate."""
    cwd = tmp_path_factory.mktemp("sweep")
    result = run_module(
        "t5mt.train", "-m", "trainer=debug", *SMALL_DATA, "optim.lr=1e-3,2e-3",
        "hydra.sweep.dir=sweep", cwd=cwd,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "sweep"


def row_of(output: str, name: str) -> str:
    """The one table row that names run `name`."""
    rows = [line for line in output.splitlines() if f" {name} " in line]
    assert len(rows) == 1, output
    return rows[0]


@pytest.mark.slow
def test_ls_lists_every_run_with_status_scores_and_overrides(outputs: Path) -> None:
    result = run_module("t5mt.runs", "ls", cwd=outputs.parent)
    assert result.returncode == 0, result.stderr
    completed = row_of(result.stdout, "2026-11-27/06-30-00")
    assert "completed" in completed
    assert "12.50" in completed and "11.25" in completed
    assert " ".join(SMALL_DATA) in completed
    running = row_of(result.stdout, "2026-11-27/07-00-00")
    assert "running" in running
    assert "3.50" in running  # the best val/bleu logged so far, as there is no results.json
    assert "failed" in row_of(result.stdout, "2026-11-28/06-30-00")
    assert "3 runs under outputs" in result.stdout


@pytest.mark.slow
def test_ls_sorts_and_filters(outputs: Path, capsys) -> None:
    main(["ls", str(outputs), "--sort", "val_bleu", "--reverse"])
    output = capsys.readouterr().out
    order = ["2026-11-27/06-30-00", "2026-11-27/07-00-00", "2026-11-28/06-30-00"]
    assert [output.index(name) for name in order] == sorted(output.index(n) for n in order)

    main(["ls", str(outputs), "--status", "running"])
    output = capsys.readouterr().out
    assert "2026-11-27/07-00-00" in output
    assert "06-30-00" not in output


@pytest.mark.slow
def test_show_unknown_run_names_the_closest(outputs: Path) -> None:
    result = run_module("t5mt.runs", "show", "2026-11-27/06-31-00", cwd=outputs.parent)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no run '2026-11-27/06-31-00' under 'outputs'")
    assert "closest: 2026-11-27/06-30-00" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_show_accepts_a_name_or_a_unique_end_of_it(outputs: Path, capsys) -> None:
    main(["show", "2026-11-27/06-30-00", "--dir", str(outputs)])
    output = capsys.readouterr().out
    assert str(outputs / "2026-11-27/06-30-00") in output
    assert "results.val.bleu" in output and "12.5" in output
    assert "best.ckpt, last.ckpt" in output

    main(["show", "07-00-00", "--dir", str(outputs)])
    assert str(outputs / "2026-11-27/07-00-00") in capsys.readouterr().out

    with pytest.raises(SystemExit) as exit_info:
        main(["show", "06-30-00", "--dir", str(outputs)])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "fits 2 runs" in error
    assert "2026-11-27/06-30-00, 2026-11-28/06-30-00" in error


@pytest.mark.slow
def test_malformed_files_are_errors_naming_them(outputs: Path, capsys) -> None:
    running = outputs / "2026-11-27/07-00-00"
    log_metric(running, 10, val__bleu="n/a")
    last_line = len((running / "metrics.csv").read_text().splitlines())
    with pytest.raises(SystemExit):
        main(["show", str(running)])
    error = capsys.readouterr().err
    assert f"{running / 'metrics.csv'}, line {last_line}: val/bleu is 'n/a'" in error

    (outputs / "2026-11-27/06-30-00/results.json").write_text("{")
    with pytest.raises(SystemExit):
        main(["ls", str(outputs)])
    assert "06-30-00/results.json: not valid JSON" in capsys.readouterr().err


@pytest.mark.slow
def test_compare_shows_the_config_difference_and_metric_changes(sweep: Path, capsys) -> None:
    main(["compare", str(sweep / "0"), str(sweep / "1")])
    output = capsys.readouterr().out
    config_rows = output.split("results")[0]
    assert row_of(config_rows, "optim.lr").split("│")[2:4] == [" 0.001 ", " 0.002 "]
    assert " seed " not in config_rows  # the configs differ only where the sweep varied them
    a, b = (json.loads((sweep / job / "results.json").read_text()) for job in "01")
    change = b["val"]["final_loss"] - a["val"]["final_loss"]
    assert f"{change:+.4g}" in row_of(output, "val.final_loss")


@pytest.mark.slow
def test_best_picks_the_highest_score(sweep: Path, tmp_path: Path) -> None:
    copy = tmp_path / "sweep"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("tokenizer", "*.ckpt"))
    edit_json(copy / "1/results.json", val__bleu=5.0)
    edit_json(copy / "0/results.json", test__bleu=7.0)

    result = run_module("t5mt.runs", "best", "sweep", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "sweep/1"
    assert lines[1] == "swept: optim.lr=0.002"
    assert "val BLEU 5.00" in lines[3]

    test_result = run_module("t5mt.runs", "best", "sweep", "--metric", "test", cwd=tmp_path)
    assert test_result.stdout.splitlines()[:2] == ["sweep/0", "swept: optim.lr=0.001"]

    empty = run_module("t5mt.runs", "best", ".", cwd=tmp_path / "sweep/0/checkpoints")
    assert empty.returncode == 2
    assert empty.stderr == "error: '.' holds no run folders\n"


@pytest.mark.slow
def test_plot_writes_learning_curves_of_a_run(outputs: Path, capsys) -> None:
    run = outputs / "2026-11-27/06-30-00"
    main(["plot", "2026-11-27/06-30-00", "--dir", str(outputs)])
    png = run / "plots/learning_curves.png"
    assert capsys.readouterr().out == f"wrote {png}\n"
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.width > 2 * image.height > 600  # two panels side by side

    with pytest.raises(SystemExit):
        main(["plot", str(outputs / "2026-11-28/06-30-00")])
    assert "has no metrics in metrics.csv" in capsys.readouterr().err


@pytest.mark.slow
def test_plot_sweep_has_a_panel_per_swept_parameter(sweep: Path, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "sweep"
    shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("tokenizer", "*.ckpt"))
    main(["plot", str(copy)])
    with Image.open(copy / "plots/sweep.png") as image:
        one_panel = image.size
    assert capsys.readouterr().out == f"wrote {copy / 'plots/sweep.png'}\n"

    # a categorical parameter too: the optimizer's name
    for job, name in (("0", "adamw"), ("1", "adafactor")):
        overrides = copy / job / ".hydra/overrides.yaml"
        overrides.write_text(overrides.read_text() + f"- optim={name}\n")
    main(["plot", str(copy), "--metric", "test"])
    with Image.open(copy / "plots/sweep.png") as image:
        assert image.height == one_panel[1]
        assert image.width > 1.8 * one_panel[0]


def summary(*overrides: str) -> RunSummary:
    return RunSummary(
        RunFolder(Path(".")), "completed", None, None, None, overrides, {}, None, None
    )


def test_swept_parameters_are_the_overrides_that_differ() -> None:
    jobs = [
        summary("trainer=debug", "optim=adamw", "optim.lr=1e-3"),
        summary("trainer=debug", "optim=adafactor", "optim.lr=1e-3"),
        summary("trainer=debug", "optim=adamw", "+extra=1"),
    ]
    assert swept_parameters(jobs) == {
        "optim": ["adamw", "adafactor", "adamw"],
        "optim.lr": ["1e-3", "1e-3", UNSET],
        "+extra": [UNSET, UNSET, "1"],
    }


def test_durations_read_at_a_glance() -> None:
    assert render.duration(timedelta(seconds=42.4)) == "42s"
    assert render.duration(timedelta(minutes=3, seconds=5)) == "3m 05s"
    assert render.duration(timedelta(hours=2, minutes=7, seconds=59)) == "2h 07m"
    assert render.duration(None) == render.MISSING


def test_help_lists_every_command() -> None:
    help_text = parser().format_help()
    for command in ("ls", "show", "compare", "best", "plot"):
        assert f"    {command} " in help_text
