"""`python -m ship package|deploy|deploy-spokes|lint-iam`: what `make package`, `make
deploy`, `make deploy-spokes` and part of `make lint` run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import boto3

from ship.build import PLATFORMS, package_all
from ship.deploy import deploy_hub, deploy_spokes
from ship.policies import parliament_findings


def _pairs(values: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise SystemExit(f"--parameter {value!r}: expected KEY=VALUE")
        pairs[key] = item
    return pairs


def lint_iam(_: argparse.Namespace) -> int:
    findings = parliament_findings()
    for finding in findings:
        print(finding, file=sys.stderr)
    print(f"parliament: {len(findings)} finding(s) in the templates' IAM policies")
    return 1 if findings else 0


def package(args: argparse.Namespace) -> int:
    for built in package_all(args.arch, Path(args.out)):
        print(f"{built.path}  {built.sha256}  -> s3://BUCKET/{built.key}")
    print(f"manifest: {Path(args.out) / 'manifest.json'}")
    return 0


def deploy(args: argparse.Namespace) -> int:
    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    outputs = deploy_hub(
        args.stack_name,
        args.bucket,
        Path(args.manifest),
        _pairs(args.parameter),
        session=session,
    )
    print(json.dumps(outputs, indent=2, sort_keys=True))
    return 0


def spokes(args: argparse.Namespace) -> int:
    session = boto3.session.Session(profile_name=args.profile, region_name=args.region)
    operation = deploy_spokes(
        args.stack_set_name,
        args.org_unit,
        [args.region or session.region_name],
        _pairs(args.parameter),
        session=session,
    )
    print(f"stack set {args.stack_set_name}: operation {operation} started")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m ship")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("lint-iam", help="parliament on the templates' IAM policies")
    built = commands.add_parser("package", help="one Lambda zip per service")
    built.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    built.add_argument("--out", default="dist/lambda")
    for name, text in (("deploy", "the hub stack"), ("deploy-spokes", "the spoke StackSet")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--profile", default=None)
        command.add_argument("--region", default=None)
        command.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE")
    hub = commands.choices["deploy"]
    hub.add_argument("--stack-name", default="drsorch")
    hub.add_argument("--bucket", required=True, help="S3 bucket for the zips, in the region")
    hub.add_argument("--manifest", default="dist/lambda/manifest.json")
    spoke = commands.choices["deploy-spokes"]
    spoke.add_argument("--stack-set-name", default="drsorch-spoke")
    spoke.add_argument("--org-unit", action="append", required=True, metavar="OU_ID")
    return root


COMMANDS = {"lint-iam": lint_iam, "package": package, "deploy": deploy, "deploy-spokes": spokes}


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
