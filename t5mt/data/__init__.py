"""Corpora, tokenizers and the DataModule."""
