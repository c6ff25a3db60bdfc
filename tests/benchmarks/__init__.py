"""Benchmarks (``make bench``): speed and memory, reported as medians, never asserted in tests."""
