"""t5mt: English→German machine translation experiments with T5, Hydra and Lightning."""

__version__ = "0.1.0"
