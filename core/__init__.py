"""The bottom of the house: what every app shares and nothing else.

Domain errors, environment readers, text helpers for workbooks and the page cache's data
version. It imports no app of the product (an import-linter contract in pyproject.toml
keeps it so); the apps above it are indicators, then opd, then kla.
"""
