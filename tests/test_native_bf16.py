"""`${t5mt.if_native_bf16:A,B}`: the CPU recipe trains in bf16 exactly where the CPU computes
bf16 natively (AVX512-BF16 or AMX), as the CPU's own flags say."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from t5mt.native_bf16 import cpu_has_native_bf16, register_resolver
from tests.conftest import CONF

CPUINFO = Path("/proc/cpuinfo")


def cpu_flags() -> set[str]:
    """The first processor's flags as the Linux kernel lists them."""
    for line in CPUINFO.read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    pytest.skip(f"{CPUINFO} lists no flags (not an x86 CPU)")


@pytest.mark.skipif(not CPUINFO.is_file(), reason=f"{CPUINFO} is absent (not Linux)")
def test_native_bf16_follows_the_cpu_flags() -> None:
    assert cpu_has_native_bf16() == bool({"avx512_bf16", "amx_tile"} & cpu_flags())


def test_cpu_recipe_chooses_its_precision_by_the_cpu_and_lets_time_end_training() -> None:
    register_resolver()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        recipe = compose("config", overrides=["experiment=multi30k_tiny"])
        forced = compose(
            "config", overrides=["experiment=multi30k_tiny", "trainer.precision=32-true"]
        )
    native = cpu_has_native_bf16()
    assert recipe.trainer.precision == ("bf16-mixed" if native else "32-true")
    # the step cap is above what fits in 30 minutes in either precision: time ends the schedule
    assert recipe.trainer.max_steps == 9000
    assert recipe.trainer.max_time == "00:00:30:00"
    assert recipe.optim.schedule == "linear_to_budget"
    assert forced.trainer.precision == "32-true"
