"""Performance benchmarks for Coordinator TUI: ``python -m benchmarks`` from the repo root.

Not part of the pytest suite (pytest collects ``tests/`` only). Each benchmark reports the
median, min and max of several runs in one invocation, against a baseline where one makes
sense (a bare Textual app for start-up), and the results go to a rich table and to JSON in
``benchmarks/results/latest.json`` (``benchmarks/results/`` is git-ignored).
"""
