"""The run folder: the contract between training and every command that reads a run.

<run>/
  .hydra/config.yaml, overrides.yaml   resolved config and command-line overrides (Hydra)
  run.json                             status, seed, attempts, start and end, host and pid
  heartbeat.json                       refreshed while the run's process lives (see liveness)
  reproducibility.json                 git commit, packages, hardware, data fingerprint, config
  git.diff                             uncommitted changes of the code, when the tree was dirty
  train.log                            the log
  metrics.csv, hparams.yaml            per-step metrics (CSV logger)
  model_config.json                    the T5 architecture (rebuilds the network offline)
  tokenizer/                           the tokenizer the model was trained with
  checkpoints/best.ckpt, last.ckpt     best by validation BLEU, and the latest
  checkpoints/kept/step-<N>.ckpt       weights of the last validations (callbacks.keep_last.n)
  checkpoints/average.ckpt             their average (python -m t5mt.average)
  results.json                         validation and test scores with sacreBLEU signatures
  samples.txt                          source / reference / hypothesis of test sentences
  samples/val-step-<N>.txt             the same for a few validation sentences, per validation
  test.src, test.ref, test.hyp         every scored test sentence, its reference and the
                                       model's translation, one per line (paired tests)

Everything that reads or writes a run folder goes through this package: its layout
(`RunFolder`), scored sentences (`scored`), finding runs (`lookup`), whether one is alive
(`liveness`), its config and overrides (`config`), the corpus fingerprint, and atomic writes
(`files`).
"""

from t5mt.run_folder.config import (
    config_differences,
    flatten,
    override_key,
    read_overrides,
    relocated,
    without_keys,
)
from t5mt.run_folder.files import (
    atomic_file,
    read_json,
    staged_folder,
    write_json_atomic,
    write_lines_atomic,
    write_text_atomic,
)
from t5mt.run_folder.fingerprint import corpus_fingerprint
from t5mt.run_folder.layout import AVERAGE, RunFolder
from t5mt.run_folder.liveness import Heartbeat, RunState, now, parse_time, run_state, this_process
from t5mt.run_folder.lookup import (
    DEFAULT_ROOT,
    closest_names,
    find_runs,
    latest_run,
    natural_key,
    new_run_dir,
    resolve_run,
    run_name,
)
from t5mt.run_folder.scored import reference_paths, sources_path, write_scored

__all__ = [
    "AVERAGE",
    "DEFAULT_ROOT",
    "Heartbeat",
    "RunFolder",
    "RunState",
    "atomic_file",
    "closest_names",
    "config_differences",
    "corpus_fingerprint",
    "find_runs",
    "flatten",
    "latest_run",
    "natural_key",
    "new_run_dir",
    "now",
    "override_key",
    "parse_time",
    "read_json",
    "read_overrides",
    "reference_paths",
    "relocated",
    "resolve_run",
    "run_name",
    "run_state",
    "sources_path",
    "staged_folder",
    "this_process",
    "without_keys",
    "write_json_atomic",
    "write_lines_atomic",
    "write_scored",
    "write_text_atomic",
]
