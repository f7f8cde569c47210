"""Benchmarks of PST Pilot at three scales (issue 6). Run them with ``make bench``; see README.md here."""
