"""Benchmarks that print their figures: ``manage.py bench engine`` (and ``bench stream``)."""
