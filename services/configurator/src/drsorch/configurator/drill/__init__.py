"""Drills that clean up: the drill's evidence pack, and the clean-up of its instances.

A drill's launches are the monitor's (a failover with `spec.drill`); when they end
(RequestCompleted), the configurator checks every drill instance from DRS's and EC2's
own state and publishes `DrillVerified`; after the drill's keep-for, or when an operator
asks (DrillCleanupRequested), it terminates exactly the recovery instances DRS records as
drills launched by the drill's own jobs, then proves none is left (`DrillCleanedUp`).
"""
