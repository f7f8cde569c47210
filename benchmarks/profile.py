"""Profile one page's warm server run with cProfile (what the README's analysis quotes).

    python -m benchmarks.profile [--scale L] [--backend sqlite] [--page dashboard.py]
                                 [--runs 20] [--cold] [--sort cumulative] [--limit 40]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("--scale", default="L")
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--page", default="dashboard.py")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cold", action="store_true", help="clear st.cache_data before each run")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--limit", type=int, default=40)
    parser.add_argument("--filter", default="", help="restrict the listing to paths matching this")
    parser.add_argument("--experiment", choices=("memo-charts", "digest-key", "both"),
                        help="no profile: median warm run as is, then with a core change simulated: "
                             "memo-charts = the pst_data.rules.charts figures cached; digest-key = the "
                             "cache key of plans()/labels() a short digest instead of every plan's "
                             "(slug, revision)")
    args = parser.parse_args(argv)
    if args.experiment:
        return experiment(args)

    import streamlit as st
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    from benchmarks import pages, scales

    # AppTest runs the script in a thread of its own, which a profiler enabled here would not
    # see: profile inside the script runner's thread instead.
    profiler = cProfile.Profile()
    recording = {"on": False}
    original = ScriptRunner._run_script

    def profiled(self, rerun_data):
        if not recording["on"]:
            return original(self, rerun_data)
        profiler.enable()
        try:
            return original(self, rerun_data)
        finally:
            profiler.disable()

    ScriptRunner._run_script = profiled

    url = scales.ensure(args.scale, args.backend)
    os.environ["PST_DATABASE_URL"] = url
    pages.log_in_as_directeur(url)  # as the benchmarks run the pages (and as people use them)
    at = pages._app(args.page, {})
    at.run()  # warm
    recording["on"] = True
    for _ in range(args.runs):
        if args.cold:
            st.cache_data.clear()
        at.run()
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs() if not args.filter else pstats.Stats(profiler)
    stats.sort_stats(args.sort)
    if args.filter:
        stats.print_stats(args.filter, args.limit)
    else:
        stats.print_stats(args.limit)
    return 0



def experiment(args) -> int:
    """Warm run of the page as is, then with a core change simulated by patching: the
    difference is what making that change would save."""
    import functools
    import hashlib
    import pickle
    import statistics

    from benchmarks import pages, scales
    from pst_data.rules import charts

    os.environ["PST_DATABASE_URL"] = scales.ensure(args.scale, args.backend)

    def warm_median() -> float:
        _, warm = pages.time_script(args.page, {}, 0, args.runs)
        return statistics.median(warm)

    before = warm_median()
    memo: dict[str, object] = {}

    def memoised(build):
        @functools.wraps(build)
        def wrapper(*a, **kw):
            key = build.__name__ + hashlib.sha1(pickle.dumps((a, kw))).hexdigest()
            if key not in memo:
                memo[key] = build(*a, **kw)
            return memo[key]
        return wrapper

    if args.experiment in ("memo-charts", "both"):
        for name in dir(charts):
            value = getattr(charts, name)
            if callable(value) and getattr(value, "__module__", "") == charts.__name__ \
                    and not name.startswith("_") and name != "layout":
                setattr(charts, name, memoised(value))
    if args.experiment in ("digest-key", "both"):
        from ui import data

        original_key = data.revision_key

        def digest_key():
            return hashlib.blake2b(repr(original_key()).encode(), digest_size=8).hexdigest()

        data.revision_key = digest_key
    after = warm_median()
    print(f"{args.page} at {args.scale} on {args.backend}: warm run {before:.1f} ms as is, "
          f"{after:.1f} ms with {args.experiment} ({before - after:.1f} ms, {1 - after / before:.0%} less)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
