"""Logger factories that need more than a constructor call."""

import csv
import io
import os
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from pytorch_lightning.loggers import (
    CSVLogger,
    Logger,
    MLFlowLogger,
    TensorBoardLogger,
    WandbLogger,
)
from pytorch_lightning.loggers.logger import rank_zero_experiment

from t5mt.run_folder import RunFolder, write_text_atomic


class ContinuingCSVLogger(CSVLogger):
    """Lightning's CSVLogger, except that a resumed run appends to its metrics.csv instead of
    deleting it."""

    @property
    @rank_zero_experiment
    def experiment(self) -> Any:
        if self._experiment is None:
            path = Path(self.log_dir) / "metrics.csv"
            previous = path.read_text(encoding="utf-8") if path.is_file() else None
            writer = super().experiment  # creating the writer deletes metrics.csv
            if previous:
                write_text_atomic(path, previous)
                writer.metrics_keys = next(csv.reader(io.StringIO(previous)))
        return self._experiment


def trim_metrics(path: Path, trained_steps: int, unlogged: dict[str, Any] | None = None) -> None:
    """Keep the rows of metrics.csv that belong to the first `trained_steps` steps (a resumed run
    logs the later ones again), and add `unlogged`, the checkpoint's row of its last step, when
    the killed attempt did not live to write it."""
    rows = []
    if path.is_file():
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    kept = [row for row in rows if int(row["step"]) < trained_steps]
    columns = list(rows[0]) if rows else []
    restore = unlogged is not None and not any(_holds(row, unlogged) for row in kept)
    if restore:
        columns = sorted(set(columns) | set(unlogged))  # Lightning's CSV writer sorts its keys
        kept.append({name: str(value) for name, value in unlogged.items()})
    if len(kept) == len(rows) and not restore:
        return  # nothing dropped, nothing added
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    write_text_atomic(path, text.getvalue())


def _holds(row: dict[str, str], values: dict[str, Any]) -> bool:
    """Whether a metrics.csv row already records `values` (same step, every metric filled)."""
    return row["step"] == str(values["step"]) and all(row.get(name) for name in values)


def sweep_group() -> str | None:
    """The sweep folder's name (`multirun/<date>/<time>` as `<date>_<time>`) in a `-m` run."""
    hydra = HydraConfig.get()
    if hydra.mode != RunMode.MULTIRUN:
        return None
    return "_".join(Path(hydra.sweep.dir).parts[-2:])


def wandb_logger(save_dir: str, project: str, name: str | None) -> WandbLogger:
    """Weights & Biases: online when WANDB_API_KEY is set, otherwise offline (never prompts).

    The jobs of a sweep form one W&B group. A resumed run continues its W&B run: the id is kept
    in the run folder's run.json.
    """
    online = bool(os.environ.get("WANDB_API_KEY"))
    run_id = RunFolder(Path(save_dir)).read_status().get("wandb_id")
    return WandbLogger(
        save_dir=save_dir,
        project=project,
        name=name or None,
        group=sweep_group(),
        offline=not online,
        id=run_id,
        resume="allow" if run_id else None,
        settings={"silent": True} if not online else None,
    )


def log_samples(loggers: list[Logger], triples: list[tuple[str, str, str]], step: int) -> None:
    """Show (source, reference, hypothesis) triples as text in TensorBoard and as a table in
    W&B, under `val/samples` at `step`; other loggers have no place for them."""
    columns = ["source", "reference", "hypothesis"]
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_text("val/samples", markdown_table(columns, triples), step)
        elif isinstance(logger, WandbLogger):
            logger.log_text(
                key="val/samples", columns=columns, data=list(map(list, triples)), step=step
            )


def markdown_table(columns: list[str], rows: list[tuple[str, ...]]) -> str:
    """A Markdown table (what TensorBoard's text tab renders), with `|` in cells escaped."""
    lines = [columns, ["---"] * len(columns), *rows]
    return "\n".join(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines
    )


def mlflow_logger(
    save_dir: str,
    experiment_name: str,
    run_name: str | None,
    tracking_uri: str | None,
    run_dir: str,
) -> MLFlowLogger:
    """MLflow: a tracking server when `tracking_uri` is set, otherwise the local file store
    `save_dir` (`mlflow ui --backend-store-uri <save_dir>`).

    A resumed run continues its MLflow run (the id is kept in the run folder's run.json); the
    jobs of a sweep carry the sweep as a tag.
    """
    if not tracking_uri:
        # MLflow 3 refuses the file store unless asked; it is what works with no server at all
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    group = sweep_group()
    return MLFlowLogger(
        experiment_name=experiment_name,
        run_name=run_name or None,
        tracking_uri=tracking_uri or None,
        save_dir=save_dir,
        tags={"sweep": group} if group else None,
        run_id=RunFolder(Path(run_dir)).read_status().get("mlflow_id"),
    )
