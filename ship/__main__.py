"""`python -m ship lint-iam`: parliament on every IAM policy of the templates."""

from __future__ import annotations

import sys

from ship.policies import parliament_findings


def lint_iam() -> int:
    findings = parliament_findings()
    for finding in findings:
        print(finding, file=sys.stderr)
    print(f"parliament: {len(findings)} finding(s) in the templates' IAM policies")
    return 1 if findings else 0


COMMANDS = {"lint-iam": lint_iam}


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in COMMANDS:
        print(f"usage: python -m ship {{{','.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
