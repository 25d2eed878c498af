"""Every option of every config group composes, and the config tree rejects unknown keys."""

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException, InstantiationException
from hydra.utils import instantiate
from omegaconf import OmegaConf
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from t5mt.errors import ConfigError
from tests.conftest import CONF

GROUPS = [
    "model",
    "data",
    "data/batching",
    "trainer",
    "optim",
    "logger",
    "callbacks",
    "experiment",
    "sweep",
    "launcher",
    "debug",
]
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml") if not p.stem.startswith("_"))


@pytest.fixture(scope="module", autouse=True)
def conf_tree():
    """Hydra initialised once with conf/ for every test here (composing is then quick)."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        yield


def compose_config(*overrides: str):
    return compose(config_name="config", overrides=list(overrides), return_hydra_config=True)


@pytest.mark.parametrize("experiment", [None, *EXPERIMENTS])
@pytest.mark.parametrize(
    "group,option", [(group, option) for group in GROUPS for option in options(group)]
)
def test_every_group_option_composes_alone_and_with_each_experiment(
    group: str, option: str, experiment: str | None
) -> None:
    chosen = [] if experiment is None or group == "experiment" else [f"experiment={experiment}"]
    cfg = compose_config(*chosen, f"{group}={option}")
    # every interpolation outside the Hydra runtime resolves
    container = OmegaConf.to_container(cfg, resolve=False)
    assert container["seed"] == 0
    assert cfg.target_lang == "de"
    if group == "optim":
        factory = instantiate(cfg.optim.optimizer)
        assert factory.keywords["lr"] == cfg.optim.lr
    # a sweep only varies keys that the composed config has
    for key in cfg.hydra.sweeper.get("params") or {}:
        assert OmegaConf.select(cfg, key) is not None, f"sweep={option} varies {key}: not set"


def test_defaults_are_the_quickstart() -> None:
    cfg = compose_config()
    assert cfg.data.corpus._target_ == "t5mt.data.synthetic.synthetic_corpus"
    assert cfg.module._target_ == "t5mt.module.TranslationModule"
    assert cfg.model.tokenizer._target_ == "t5mt.data.tokenizer.train_sentencepiece"
    assert cfg.task_prefix == ""


def test_pretrained_recipe_uses_the_task_prefix_and_beam_search() -> None:
    cfg = compose_config("experiment=wmt19_t5_small")
    assert cfg.task_prefix == "translate English to German: "
    assert cfg.data.task_prefix == "translate English to German: "
    assert cfg.module.num_beams == 4
    assert cfg.optim.optimizer._target_ == "transformers.optimization.Adafactor"


def test_learning_rate_override_reaches_the_optimizer() -> None:
    cfg = compose_config("optim.lr=3e-4")
    assert instantiate(cfg.optim.optimizer).keywords["lr"] == 3e-4


@pytest.mark.parametrize("override", ["optim.lrr=1e-3", "model=t5_huge", "trainer.nonsense=1"])
def test_unknown_keys_and_options_are_rejected(override: str) -> None:
    with pytest.raises(ConfigCompositionException):
        compose_config(override)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_early_stopping_and_keep_last_are_off_unless_set(experiment: str) -> None:
    cfg = compose_config(f"experiment={experiment}")
    assert instantiate(cfg.callbacks.early_stopping) is None
    assert instantiate(cfg.callbacks.keep_last, dirpath="kept") is None
    cfg = compose_config(
        f"experiment={experiment}",
        "callbacks.early_stopping.patience=2",
        "callbacks.early_stopping.monitor=val/loss",
        "callbacks.early_stopping.min_delta=0.01",
        "callbacks.keep_last.n=5",
    )
    stopping = instantiate(cfg.callbacks.early_stopping)
    assert isinstance(stopping, EarlyStopping)
    assert (stopping.monitor, stopping.mode, stopping.patience) == ("val/loss", "min", 2)
    kept = instantiate(cfg.callbacks.keep_last, dirpath="kept")
    assert isinstance(kept, ModelCheckpoint)
    assert (kept.save_top_k, kept.monitor, kept.save_weights_only) == (5, "step", True)


@pytest.mark.parametrize(
    "override,message",
    [
        ("callbacks.early_stopping.patience=0", "patience must be at least 1"),
        ("callbacks.early_stopping.monitor=val/ter", "monitor=val/ter is not one of"),
        ("callbacks.early_stopping.min_delta=-1", "min_delta must be >= 0"),
    ],
)
def test_bad_early_stopping_settings_are_named(override: str, message: str) -> None:
    cfg = compose_config("callbacks.early_stopping.patience=1", override)
    with pytest.raises(InstantiationException) as raised:
        instantiate(cfg.callbacks.early_stopping)
    assert isinstance(raised.value.__cause__, ConfigError)
    assert message in str(raised.value.__cause__)


def test_sweep_of_seeds_takes_its_count_from_sweep_n() -> None:
    cfg = compose_config("sweep=seeds", "sweep.n=4")
    assert cfg.hydra.sweeper.params.seed == "range(0,4)"  # what the basic sweeper expands
    assert compose_config("sweep=seeds").hydra.sweeper.params.seed == "range(0,3)"
    assert cfg.seed == 0 and cfg.optim.lr == 0.002  # the job's own keys are untouched
