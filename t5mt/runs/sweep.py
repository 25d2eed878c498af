"""The jobs of a sweep: which overrides vary between them, and the best job by a score."""

from pathlib import Path

from t5mt.errors import RunFolderError
from t5mt.run_folder import find_runs
from t5mt.runs.summary import SPLITS, RunSummary, summarize

UNSET = "(unset)"  # the value of a swept key in a job whose overrides do not set it


def load_jobs(directory: Path) -> list[RunSummary]:
    """Every run at or below `directory`, which must hold at least one."""
    jobs = [summarize(run) for run in find_runs(directory)]
    if not jobs:
        raise RunFolderError(f"'{directory}' holds no run folders")
    return jobs


def swept_parameters(jobs: list[RunSummary]) -> dict[str, list[str]]:
    """Each override key whose value differs between jobs → its value in each job."""
    per_job = [
        {key: value for key, _, value in (override.partition("=") for override in job.overrides)}
        for job in jobs
    ]
    keys = dict.fromkeys(key for overrides in per_job for key in overrides)
    values = {key: [overrides.get(key, UNSET) for overrides in per_job] for key in keys}
    return {key: column for key, column in values.items() if len(set(column)) > 1}


def best_job(jobs: list[RunSummary], split: str) -> RunSummary:
    """The job with the highest BLEU on `split` (val or test); ties go to the first job."""
    scored = [job for job in jobs if job.bleu(split) is not None]
    if not scored:
        raise RunFolderError(f"none of the {len(jobs)} runs has a {SPLITS[split]} yet")
    return max(scored, key=lambda job: job.bleu(split))
