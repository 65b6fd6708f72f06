"""The benchmark harness behind `make bench`: a large generated district (district.py), the
timings of pages, scoring, content checks, resumable uploads and the entry kit
(management/commands/kla_bench.py).

Development only: a Django app that only its own settings (bench/settings.py, used by
scripts/bench.sh) install, so production never loads it, and nothing in the product imports it
(the import contract in pyproject.toml). It may import everything.
"""
