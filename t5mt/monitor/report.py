"""Compare the inputs in a request log with the run's training data, feature by feature."""

import json
from pathlib import Path

from t5mt.data.tokenizer import load_saved
from t5mt.errors import DataError
from t5mt.evaluate import split_of_run
from t5mt.monitor.drift import categorical_drift, numeric_drift
from t5mt.monitor.features import InputFeatures, input_features
from t5mt.monitor.html import render_html
from t5mt.run_folder import RunFolder, now, write_json_atomic, write_text_atomic

VERDICT_ORDER = ("stable", "too few samples", "moderate", "drift")


def read_request_log(path: Path) -> tuple[InputFeatures, int, int]:
    """Features of every translated request in a JSONL log; also requests read and skipped.

    Records without features (failed requests) are skipped; a malformed line is an error that
    names the file and line.
    """
    if not path.is_file():
        raise DataError(f"no request log at {path}")
    features, requests, skipped = InputFeatures(), 0, 0
    with path.open(encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                requests += 1
                if record.get("status") == 200:
                    features.extend(InputFeatures.from_record(record))
                else:
                    skipped += 1
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
                raise DataError(f"{path}, line {number}: not a request record ({error})") from None
    if not features.characters:
        raise DataError(f"{path} holds no translated request")
    return features, requests, skipped


def reference_features(run: RunFolder, split: str = "train") -> InputFeatures:
    """Features of the source side of a split of the run's own corpus."""
    sources, _, _ = split_of_run(run, split)
    return input_features(sources, load_saved(run.tokenizer_dir))


def drift_report(reference: InputFeatures, live: InputFeatures) -> dict[str, dict]:
    """One entry per feature: the statistics, the drift statistic and a verdict."""
    sentences = len(live.characters)
    ref_tokens, live_tokens = sum(reference.tokens), sum(live.tokens)
    ref_unknown, live_unknown = sum(reference.unknown_tokens), sum(live.unknown_tokens)
    unknown = categorical_drift(
        {"known": ref_tokens - ref_unknown, "unknown": ref_unknown},
        {"known": live_tokens - live_unknown, "unknown": live_unknown},
        sentences,
    )
    unknown["reference_rate"] = round(ref_unknown / ref_tokens, 5) if ref_tokens else 0.0
    unknown["live_rate"] = round(live_unknown / live_tokens, 5) if live_tokens else 0.0
    return {
        "characters": numeric_drift(reference.characters, live.characters),
        "tokens": numeric_drift(reference.tokens, live.tokens),
        "unknown_token_rate": unknown,
        "charset": categorical_drift(reference.charset, live.charset, sentences),
    }


def monitor_report(log: Path, run_root: Path, out_dir: Path | None = None) -> dict:
    """Compare `log` with the run's training data; write <out>/<log name>.json and .html.

    `out_dir` defaults to <run>/monitor.
    """
    run = RunFolder.at(run_root, needs_model=True)
    live, requests, skipped = read_request_log(log)
    reference = reference_features(run)
    features = drift_report(reference, live)
    report = {
        "created": now(),
        "run": str(run.root),
        "log": str(log),
        "reference": {"split": "train", "sentences": len(reference.characters)},
        "live": {"requests": requests, "skipped": skipped, "sentences": len(live.characters)},
        "verdict": max((f["verdict"] for f in features.values()), key=VERDICT_ORDER.index),
        "features": features,
    }
    out_dir = out_dir or run.root / "monitor"
    write_json_atomic(out_dir / f"{log.stem}.json", report)
    write_text_atomic(out_dir / f"{log.stem}.html", render_html(report))
    return report
