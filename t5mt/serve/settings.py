"""The server's settings: dataclasses built from conf/serve.yaml, passed to workers as JSON."""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from t5mt.errors import ConfigError
from t5mt.inference import ENGINES, OPTION_KEYS
from t5mt.run_folder import RunFolder
from t5mt.serve.auth import api_key_hashes

# uvicorn's worker processes import the app by name; they read their settings from here.
SETTINGS_ENV = "T5MT_SERVE_SETTINGS"


@dataclass(frozen=True)
class Limits:
    """What one request may ask for (more is a 422 or a 413) and what the server takes on."""

    max_sentences: int = 64
    max_characters: int = 1000
    max_num_beams: int = 8
    max_new_tokens: int = 256
    # hypotheses per sentence (nbest), and the largest sampling temperature and penalty
    max_nbest: int = 4
    max_temperature: float = 2.0
    max_repetition_penalty: float = 2.0
    # sentences waiting for the model, all requests together; beyond: 503 with Retry-After
    max_queued_sentences: int = 256
    # a request's deadline (an X-Request-Timeout header may shorten it)
    timeout_s: float = 30.0
    max_body_bytes: int = 1_000_000


@dataclass(frozen=True)
class Batching:
    """When gathered requests start as one batch."""

    enabled: bool = True
    max_sentences: int = 64
    max_wait_ms: float = 10.0


@dataclass(frozen=True)
class ServeSettings:
    """Everything the app needs: which model, how it decodes, batching, limits and the log."""

    run: str
    model_id: str
    ckpt: str = "best"
    device: str = "cpu"
    engine: str = "pytorch"
    ct2_model: str | None = None
    batch_size: int = 64
    batch_tokens: int | None = None
    num_beams: int | None = None
    length_penalty: float = 1.0
    max_new_tokens: int | None = None
    # the server's other decoding options (OPTION_KEYS of conf/base/inference.yaml); a
    # request may override each
    options: dict[str, Any] = field(default_factory=dict)
    batching: Batching = Batching()
    limits: Limits = Limits()
    request_log: str | None = None
    log_text: bool = False
    # SHA-256 hex digests of the API keys; none: no key needed
    api_key_hashes: tuple[str, ...] = ()

    def to_json(self) -> str:
        """The settings as JSON (see `from_json`)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "ServeSettings":
        """Settings written by `to_json`."""
        fields: dict[str, Any] = json.loads(text)
        return cls(
            **{
                **fields,
                "batching": Batching(**fields["batching"]),
                "limits": Limits(**fields["limits"]),
                "api_key_hashes": tuple(fields["api_key_hashes"]),
            }
        )

    @classmethod
    def from_environment(cls) -> "ServeSettings":
        """The settings that `python -m t5mt.serve` put into the environment for its workers."""
        return cls.from_json(os.environ[SETTINGS_ENV])


def default_model_id(run: str | Path) -> str:
    """`<parent>/<name>` of the run folder: the `outputs/<date>/<time>` a user sees."""
    path = Path(run).resolve()
    return f"{path.parent.name}/{path.name}"


def settings_from_config(cfg: DictConfig) -> ServeSettings:
    """Settings from the composed serve config, after checking the run folder and engine."""
    run = RunFolder.at(cfg.run, needs_model=True)
    if cfg.engine not in ENGINES:
        raise ConfigError(f"engine={cfg.engine} is not an engine (choose one of {ENGINES})")
    if cfg.engine == "pytorch":
        run.checkpoint_files(str(cfg.ckpt))
    limits = Limits(**cfg.limits)
    if limits.max_queued_sentences < limits.max_sentences:
        raise ConfigError(
            f"limits.max_queued_sentences={limits.max_queued_sentences} is below "
            f"limits.max_sentences={limits.max_sentences}: the largest request could never queue"
        )
    if limits.timeout_s <= 0:
        raise ConfigError(f"limits.timeout_s={limits.timeout_s} must be positive")
    if cfg.nbest > limits.max_nbest:
        raise ConfigError(f"nbest={cfg.nbest} is above limits.max_nbest={limits.max_nbest}")
    return ServeSettings(
        run=str(cfg.run),
        model_id=cfg.model_id or default_model_id(cfg.run),
        ckpt=str(cfg.ckpt),
        device=cfg.device,
        engine=cfg.engine,
        ct2_model=cfg.ct2_model,
        batch_size=cfg.batch_size,
        batch_tokens=cfg.batch_tokens,
        num_beams=cfg.num_beams,
        length_penalty=cfg.length_penalty,
        max_new_tokens=cfg.max_new_tokens,
        options={key: cfg[key] for key in OPTION_KEYS},
        batching=Batching(**cfg.batching),
        limits=limits,
        request_log=cfg.request_log,
        log_text=cfg.log_text,
        api_key_hashes=api_key_hashes(cfg.auth.api_keys_file, cfg.auth.api_key_hashes),
    )
