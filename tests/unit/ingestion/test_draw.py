import numpy as np
import pytest

from ingestion.synthetic.draw import apportion, days


@pytest.mark.parametrize("total", [0, 1, 7, 1_531_633])
def test_apportion_sums_exactly_and_follows_weights(total):
    weights = np.array([0.5, 0.3, 0.2, 1e-9])
    counts = apportion(total, weights)
    assert counts.sum() == total
    assert np.all(np.abs(counts - total * weights / weights.sum()) < 1)


def test_days_stay_in_their_window():
    drawn = days(np.random.default_rng(1), "2025-09-01", "2025-09-08", 1000)
    assert drawn.min() >= np.datetime64("2025-09-01")
    assert drawn.max() < np.datetime64("2025-09-08")
