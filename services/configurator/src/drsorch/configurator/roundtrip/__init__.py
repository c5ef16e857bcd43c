"""The round trip after a launch: reverse replication (prepare a failback, re-protect), retire."""
