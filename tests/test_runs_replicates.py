"""Replicates: runs that differ only in the seed are one group in `runs ls --group`, `runs best`
and `runs compare` of two folders of seeds."""

import json
import shutil
from pathlib import Path

import pytest

from t5mt.runs.__main__ import main
from t5mt.runs.replicates import mean_difference, spread
from tests.conftest import run_module

pytestmark = pytest.mark.slow


def set_scores(run: Path, val: float, test: float) -> None:
    results = json.loads((run / "results.json").read_text())
    results["val"]["bleu"], results["test"]["bleu"] = val, test
    (run / "results.json").write_text(json.dumps(results))


@pytest.fixture
def scored_sweep(seed_sweep: Path, tmp_path: Path) -> Path:
    """A copy of the seed sweep with distinct scores (a debug run's BLEU is 0), and a fourth
    job with another learning rate: two groups, of three seeds and of one."""
    copy = tmp_path / "sweep"
    shutil.copytree(seed_sweep, copy, ignore=shutil.ignore_patterns("tokenizer", "*.ckpt"))
    for job, (val, test) in zip("012", ((10.0, 9.0), (12.0, 11.0), (14.0, 13.0)), strict=True):
        set_scores(copy / job, val, test)
    other = copy / "3"
    shutil.copytree(copy / "0", other)
    config = other / ".hydra/config.yaml"
    config.write_text(config.read_text().replace("lr: 0.002", "lr: 0.004"))
    set_scores(other, 15.0, 8.0)
    return copy


def test_a_sweep_of_seeds_is_one_group_with_mean_and_spread(seed_sweep: Path) -> None:
    result = run_module("t5mt.runs", "ls", "--group", "sweep", cwd=seed_sweep.parent)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "all runs" in line]
    assert len(rows) == 1, result.stdout
    cells = [cell.strip() for cell in rows[0].split("│")[1:-1]]
    assert cells[:3] == ["all runs", "3", "0,1,2"]
    results = [json.loads((seed_sweep / job / "results.json").read_text()) for job in "012"]
    expected = spread([r["test"]["bleu"] for r in results])
    assert cells[4] == str(expected) and "±" in cells[4] and "[" in cells[4]
    assert cells[5] == "0 1 2"
    assert "1 group of 3 runs" in result.stdout


def test_groups_split_on_any_config_key_but_the_seed(scored_sweep: Path, capsys) -> None:
    main(["ls", "--group", str(scored_sweep)])
    output = capsys.readouterr().out
    three = next(line for line in output.splitlines() if "optim.lr=0.002" in line)
    assert "│ 3 " in three and "12.00 ± 2.00 [7.03, 16.97]" in three
    one = next(line for line in output.splitlines() if "optim.lr=0.004" in line)
    assert "15.00 (n=1)" in one
    assert "2 groups of 4 runs" in output


def test_best_ranks_groups_by_mean_and_warns_of_a_single_seed(scored_sweep: Path, capsys) -> None:
    # by val BLEU, one lucky run (15.0) beats the group's mean (12.0): it rests on one seed
    main(["best", str(scored_sweep)])
    output = capsys.readouterr().out
    assert output.splitlines()[0] == str(scored_sweep / "3")
    ranks = [
        line for line in output.splitlines() if line.startswith("│ 1") or line.startswith("│ 2")
    ]
    assert "optim.lr=0.004" in ranks[0] and "optim.lr=0.002" in ranks[1]
    assert "rests on one seed" in output

    # by test BLEU, the three seeds' mean (11.0) wins; the best job is that group's best run
    main(["best", str(scored_sweep), "--metric", "test"])
    output = capsys.readouterr().out
    assert output.splitlines()[0] == str(scored_sweep / "2")
    assert "rests on one seed" not in output


def test_compare_two_folders_of_seeds_gives_the_difference_of_means(
    seed_sweep: Path, tmp_path: Path, capsys
) -> None:
    folders = []
    for name, shift in (("a", 0.0), ("b", 5.0)):
        folder = tmp_path / name
        shutil.copytree(seed_sweep, folder, ignore=shutil.ignore_patterns("tokenizer", "*.ckpt"))
        for job, value in zip("012", (10.0, 12.0, 14.0), strict=True):
            set_scores(folder / job, value + shift, value)
        folders.append(folder)
    main(["compare", *map(str, folders)])
    output = capsys.readouterr().out
    expected = mean_difference([10.0, 12.0, 14.0], [15.0, 17.0, 19.0])
    val_row = next(line for line in output.splitlines() if "val BLEU" in line)
    assert "+5.00" in val_row
    assert f"[{expected.low:+.2f}, {expected.high:+.2f}]" in val_row
    assert "B is better" in val_row
    test_row = next(line for line in output.splitlines() if "test BLEU" in line)
    assert "+0.00" in test_row and "no clear difference" in test_row


def test_compare_refuses_a_folder_of_several_groups(scored_sweep: Path, seed_sweep: Path) -> None:
    result = run_module("t5mt.runs", "compare", str(scored_sweep), str(seed_sweep), cwd=seed_sweep)
    assert result.returncode == 2
    assert "form 2 groups of replicates" in result.stderr and "Traceback" not in result.stderr


def test_welch_interval_and_t_interval_by_hand() -> None:
    # n=3, std 2: t(0.975, 2) = 4.3027, half width 4.3027 * 2 / sqrt(3) = 4.968
    assert str(spread([10.0, 12.0, 14.0])) == "12.00 ± 2.00 [7.03, 16.97]"
    assert spread([]) is None
    difference = mean_difference([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    assert difference.delta == 1.0
    assert difference.low < 0 < difference.high  # equal spreads, df 4: ±1.31 × 2.776
    assert round(difference.high - 1.0, 3) == round(2.776445 * (2 / 3) ** 0.5, 3)
