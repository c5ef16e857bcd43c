"""Shipping drsorch to AWS: Lambda zips from the uv lock, the templates' IAM policies
checked, the deploy into an account.

`python -m ship package` (what `make package` runs), `python -m ship lint-iam`
(part of `make lint`), `python -m ship deploy` (what `make deploy` runs).
"""
