"""drsorch discovery: the DRS source servers in scope, their candidate targets and lineage."""
