"""Synthetic register exports that follow the contract, sized after published national figures.

Deterministic (same seed, same bytes), with planted defects and their ground truth so the
quality checks can be scored.
"""
