"""The monitor's pure decisions: plain functions over plain records, no AWS, no I/O.

`plan` starts a request from its PairsMatched; `selection` and `decisions` say which
servers launch; `readiness` gates failbacks; `planning` fits batches into DRS quotas
and reconciles intents; `waves` orders and judges waves; `pacing` picks every wait;
`landing` proves where servers landed; `report` builds the events.
"""
