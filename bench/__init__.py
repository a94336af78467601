"""Benchmarks. `python -m bench.capture` measures the capture pipeline."""
