"""What the templates promise that no local deploy can check (AWS validates it, moto does not)."""

from __future__ import annotations

import json
import re
from typing import Any

from ship.policies import HUB_TEMPLATE, load

_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def test_the_dashboard_body_is_json_once_its_variables_are_substituted() -> None:
    template = load(HUB_TEMPLATE)
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    names = set(_VARIABLE.findall(body))
    assert names <= {"AWS::Region", *template["Parameters"]}
    document: dict[str, Any] = json.loads(
        _VARIABLE.sub(lambda m: "us-east-1" if m.group(1) == "AWS::Region" else "drsorch", body)
    )
    titles = [w["properties"]["title"] for w in document["widgets"]]
    assert len(titles) == 5


def test_a_batch_ends_before_its_messages_can_reappear() -> None:
    # Under Lambda nothing extends a message's visibility: the function must time out
    # first, and the inbox lease must not outlive the visibility either.
    parameters = load(HUB_TEMPLATE)["Parameters"]
    timeout = parameters["FunctionTimeoutSeconds"]["Default"]
    visibility = parameters["VisibilityTimeoutSeconds"]["Default"]
    assert timeout < visibility
    for service in ("Discovery", "Matcher", "Configurator", "Monitor"):
        function = load(HUB_TEMPLATE)["Resources"][f"{service}Function"]["Properties"]
        variables = function["Environment"]["Variables"]
        assert variables["DRSORCH_INBOX_LEASE_SECONDS"] == {"Ref": "VisibilityTimeoutSeconds"}
        assert function["Timeout"] == {"Ref": "FunctionTimeoutSeconds"}
