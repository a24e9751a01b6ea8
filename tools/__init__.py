"""Maintainer tools for the series: run them as modules, e.g. ``python -m tools.stamp``."""
