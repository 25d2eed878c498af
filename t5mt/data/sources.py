"""The embedded default corpus in the WMT schema (the other sources have modules of their own)."""

from datasets import DatasetDict

from t5mt.data.files import pairs_to_dataset_dict
from t5mt.data.synthetic import synthetic_splits


def synthetic_corpus(
    train_size: int = 25000, validation_size: int = 500, test_size: int = 1000, seed: int = 0
) -> DatasetDict:
    """The grammar-generated English→German corpus (t5mt.data.synthetic) as a DatasetDict."""
    return pairs_to_dataset_dict(synthetic_splits(train_size, validation_size, test_size, seed))
