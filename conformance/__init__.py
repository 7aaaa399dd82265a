"""Conformance runner: scikit-learn's own linear-model tests run against sparsefit."""
