"""One self-contained, reproducible Lambda zip per service, built from the uv lock.

For each service: `uv export --frozen` writes the third-party requirements the lock
pins for that service alone (no dev tools, no moto); `uv pip install --target` puts
their wheels for the Lambda runtime (CPython 3.11, manylinux2014, x86_64 or arm64;
binary wheels only, never a build, never the dev venv) into an empty folder, and the
service with drsorch's contracts and runtime beside them. The zip is reproducible:
entries sorted, one fixed timestamp and mode, no bytecode, no `direct_url.json`
(it names the checkout's path), no console scripts, so the same lock gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("discovery", "matcher", "configurator", "monitor")
PLATFORMS = {"x86_64": "x86_64-manylinux2014", "arm64": "aarch64-manylinux2014"}
PYTHON_VERSION = "3.11"
WORKSPACE = ("contracts", "runtime")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_DROPPED_NAMES = frozenset({"__pycache__", "direct_url.json"})
# uv's lock on the target folder, and console scripts (their shebang names the builder).
_DROPPED_TOP = frozenset({".lock", "bin"})
_DROPPED_SUFFIXES = (".pyc", ".pyo")


class PackageError(Exception):
    """A step of the build failed; the message carries the tool's own output."""


@dataclass(frozen=True)
class Built:
    service: str
    architecture: str
    path: Path
    sha256: str

    @property
    def key(self) -> str:
        """The S3 key the deploy uploads it under: content-addressed, so a change redeploys."""
        return f"drsorch/{self.service}-{self.architecture}-{self.sha256[:16]}.zip"


def _run(*args: str) -> None:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603  # fixed tool, our arguments
    if done.returncode != 0:
        raise PackageError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def install(service: str, architecture: str, target: Path, uv: str = "uv") -> None:
    """The service's code and its locked dependencies for Lambda, in `target`."""
    if architecture not in PLATFORMS:
        raise PackageError(f"architecture {architecture!r}: choose one of {', '.join(PLATFORMS)}")
    requirements = target.parent / f"{service}-requirements.txt"
    _run(
        uv,
        "export",
        "--frozen",
        "--no-dev",
        "--no-hashes",
        "--no-emit-workspace",
        "--no-header",
        "--package",
        f"drsorch-{service}",
        "--format",
        "requirements-txt",
        "--output-file",
        str(requirements),
    )
    platform = ["--python-platform", PLATFORMS[architecture], "--python-version", PYTHON_VERSION]
    _run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--only-binary",
        ":all:",
        "--no-deps",
        "--target",
        str(target),
        *platform,
        "-r",
        str(requirements),
    )
    members = [str(ROOT / name) for name in WORKSPACE] + [str(ROOT / "services" / service)]
    _run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--no-deps",
        "--target",
        str(target),
        *platform,
        *members,
    )


def write_zip(folder: Path, path: Path) -> str:
    """Zip `folder` reproducibly into `path`; its SHA-256."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not _DROPPED_NAMES.intersection(p.relative_to(folder).parts)
        and p.relative_to(folder).parts[0] not in _DROPPED_TOP
        and not p.name.endswith(_DROPPED_SUFFIXES)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for file in files:
            info = zipfile.ZipInfo(file.relative_to(folder).as_posix(), FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100644 if not _executable(file) else 0o100755) << 16
            archive.writestr(info, file.read_bytes(), compresslevel=9)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _executable(file: Path) -> bool:
    return bool(file.stat().st_mode & 0o111) and file.suffix != ".py"


def package(service: str, architecture: str, out: Path) -> Built:
    """Build `out/<service>-<architecture>.zip`."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{service}-{architecture}.zip"
    with tempfile.TemporaryDirectory(prefix=f"drsorch-{service}-") as work:
        target = Path(work) / "site"
        target.mkdir()
        install(service, architecture, target)
        digest = write_zip(target, path)
    return Built(service, architecture, path, digest)


def package_all(architecture: str, out: Path, services: tuple[str, ...] = SERVICES) -> list[Built]:
    """Every service's zip, and `manifest.json` naming each with its hash and S3 key."""
    built = [package(service, architecture, out) for service in services]
    manifest = {
        b.service: {
            "file": b.path.name,
            "architecture": b.architecture,
            "sha256": b.sha256,
            "key": b.key,
        }
        for b in built
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return built


def clean(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
