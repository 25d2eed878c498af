"""Settings that depend on whether this CPU computes bf16 natively.

`${t5mt.if_native_bf16:A,B}` in a config is A on a CPU with bf16 dot-product instructions
(AVX512-BF16 or AMX) and B on any other. A CPU recipe can use bf16 only where it is native:
there a bf16-mixed step of the Multi30k model ran 1.7x as fast as fp32, while on a CPU with
AVX2 only it ran about 50x slower. The run folder's resolved config records the value chosen.
"""

from typing import Any

import torch
from omegaconf import OmegaConf


def cpu_has_native_bf16() -> bool:
    """True where the CPU has AVX512-BF16 or AMX instructions."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def if_native_bf16(native: Any, otherwise: Any) -> Any:
    """`native` on a CPU with native bf16, else `otherwise`."""
    return native if cpu_has_native_bf16() else otherwise


def register_resolver() -> None:
    """Make `${t5mt.if_native_bf16:A,B}` available to configs composed in this process."""
    OmegaConf.register_new_resolver("t5mt.if_native_bf16", if_native_bf16, replace=True)
