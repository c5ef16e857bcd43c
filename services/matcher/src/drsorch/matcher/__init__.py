"""drsorch matcher: pairs each discovered source server with at most one target, and says why.

`domain.match` is the decision (pure); `handlers` runs it on ServersDiscovered and
publishes PairsMatched; `adapters.dynamo` keeps each request's plan and the
failover pairs a later failback traces back through.
"""
