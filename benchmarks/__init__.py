"""Throughput benchmarks: issue and verify per second against Digital Bazaar in the same run."""
