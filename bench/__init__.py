"""Benchmarks that print their figures: ``manage.py bench engine|stream|pages|faults|research``.

They live apart from the apps they measure so that the product never imports
them, and so that one command drives every benchmark the same way.
"""
