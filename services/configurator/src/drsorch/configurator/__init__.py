"""drsorch."""
