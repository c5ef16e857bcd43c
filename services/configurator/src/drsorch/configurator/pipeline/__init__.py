"""A failback pipelined within DRS's replicating-servers quota (drs-api-facts.md §4).

Each FAILBACK-direction server replicates in the primary region and takes one of that
account and region's slots until its replication is stopped. Reverse replication starts
only into free slots, earlier waves first; a slot is freed by the retire order's first
step (StopReplication of the FAILBACK server), and only once DRS and EC2 show that its
server landed.
"""
