"""drsorch benchmarks: figures printed, nothing asserted (`make bench`)."""
