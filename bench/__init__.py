"""Benchmarks: Hello measured against its limit (plain endpoints in the same process) and its
peers (graphql-yoga), in one command (``python -m bench``, ``make bench``).

Every figure is the median of at least three runs with their minimum and maximum, and every
baseline is measured in the same run, interleaved with the figure it is compared to. See the
README's "Benchmarks" section for how to read the table.
"""
