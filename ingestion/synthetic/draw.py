"""Small random-drawing helpers shared by the generator's modules."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder, exact sum)."""
    weights = np.asarray(weights, dtype="float64")
    if total == 0 or len(weights) == 0:
        return np.zeros(len(weights), dtype="int64")
    quota = total * weights / weights.sum()
    counts = np.floor(quota).astype("int64")
    short = total - counts.sum()
    if short:
        order = np.argsort(-(quota - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def choice(rng: np.random.Generator, shares: Mapping[str, float], size: int) -> np.ndarray:
    """``size`` codes drawn with the given shares (normalized), as an object array."""
    codes = np.array(list(shares), dtype=object)
    probabilities = np.array(list(shares.values()), dtype="float64")
    return codes[rng.choice(len(codes), size=size, p=probabilities / probabilities.sum())]


def days(rng: np.random.Generator, start, end, size: int) -> np.ndarray:
    """Uniform dates in [start, end) as datetime64[D]."""
    start, end = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = int((end - start).astype("int64"))
    return start + rng.integers(0, max(span, 1), size).astype("timedelta64[D]")


def seconds_after(rng: np.random.Generator, day: np.ndarray, lag_days: np.ndarray) -> np.ndarray:
    """A timestamp ``lag_days`` after the morning of ``day``, at a random time of day (UTC)."""
    base = day.astype("datetime64[s]") + np.timedelta64(2, "h")  # 08:00 in Bishkek (UTC+6)
    jitter = rng.integers(0, 10 * 3600, len(day)).astype("timedelta64[s]")
    return base + (np.asarray(lag_days) * 86400).astype("timedelta64[s]") + jitter
