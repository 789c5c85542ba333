"""Retrieval evaluation: question files, metrics, side-by-side configurations, reports."""
