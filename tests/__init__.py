"""hepvision's test suite (a package, so tests and benchmarks import ``tests.support``)."""
