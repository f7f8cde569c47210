"""The cache key of a chart's input frame (ui.data.frame_digest): a chart is drawn again
exactly when what it shows changed."""

from __future__ import annotations

import pandas as pd

from ui.data import frame_digest


def _per_os() -> pd.DataFrame:
    return pd.DataFrame({"os_code": ["1", "2"], "os_title": ["Accueil", "Logement"],
                         "mean_progress": [40.0, None], "actions": [3, 2]})


def test_equal_frames_have_one_key():
    assert frame_digest(_per_os()) == frame_digest(_per_os().copy(deep=True))


def test_any_change_of_what_a_chart_shows_changes_the_key():
    base = frame_digest(_per_os())
    changed = [_per_os() for _ in range(5)]
    changed[0].loc[0, "mean_progress"] = 40.5  # a taux
    changed[1].loc[1, "mean_progress"] = 0.0  # « aucun taux » → 0 %
    changed[2].loc[0, "os_title"] = "Accueil "  # a title, by one space
    changed[3] = changed[3].iloc[::-1]  # the order of the bars
    changed[4] = changed[4].astype({"actions": "float64"})  # 3 → 3.0
    keys = [frame_digest(frame) for frame in changed]
    assert base not in keys and len(set(keys)) == len(keys)
