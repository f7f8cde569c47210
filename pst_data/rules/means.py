"""The one weighted mean of PST Pilot (README: « the progress of a group is the mean taux of its
actions that have one, weighted by the action weight, default 1 »), free of pandas so that the
eComptes converter uses it too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def missing(value: Any) -> bool:
    """None, NaN, or pandas' NA (a taux nobody gave)."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN (and pandas' NaT) is the one value unequal to itself
    except TypeError:  # pandas' NA has no truth value
        return True
    except ValueError:  # a list of values (an array) is not one missing value
        return False


def weighted_mean(values: Iterable[Any], weights: Iterable[Any] | None = None) -> float | None:
    """Weighted mean of the values that are not missing (a missing weight is 1); None when no
    value is left."""
    values = list(values)
    weights = [1.0] * len(values) if weights is None else list(weights)
    total = weight_sum = 0.0
    for value, weight in zip(values, weights, strict=True):
        if missing(value):
            continue
        weight = 1.0 if missing(weight) else float(weight)
        total += float(value) * weight
        weight_sum += weight
    if weight_sum == 0:
        return None
    return total / weight_sum
