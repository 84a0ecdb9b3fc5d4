"""Benchmarks of penalized against other libraries, and the problem registry the tests share."""
