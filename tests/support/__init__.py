"""Helpers shared by drsorch's tests (on sys.path through pytest's `pythonpath`)."""
