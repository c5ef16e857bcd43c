"""The conformance referee itself catches what it must."""

from __future__ import annotations

import botocore.session

from integration.local_drs.shape_check import problems

MODEL = botocore.session.get_session().get_service_model("drs")
JOB = MODEL.shape_for("Job")
GOOD = {"jobID": "drsjob-12345678901234567", "status": "PENDING", "participatingServers": []}


def test_a_good_job_passes() -> None:
    assert problems(JOB, GOOD) == []


def test_it_catches_missing_required_unknown_members_enums_patterns_and_floats() -> None:
    cases = {
        "required": {"status": "PENDING"},
        "not a member": GOOD | {"jobId": "x"},
        "not in enum": GOOD | {"status": "FAILED"},
        "does not match": GOOD | {"jobID": "drsjob-1234567890123456!"},
        "is not a string": GOOD | {"creationDateTime": 1.5},
    }
    for words, document in cases.items():
        found = problems(JOB, document)
        assert any(words in problem for problem in found), (words, found)
    disk = MODEL.shape_for("DataReplicationInfoReplicatedDisk")
    assert any("not an integer" in p for p in problems(disk, {"totalStorageBytes": 1.0}))
