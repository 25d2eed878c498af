"""t5mt's Optuna sweeper, found by Hydra's plugin discovery (see optuna_sweeper.py)."""
