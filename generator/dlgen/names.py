"""Project names: validation before anything is written, and the derived package identifier."""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata

from dlgen.errors import InputError

MAX_NAME = 64
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}
# Import names a generated DL project depends on or that tooling treats specially.
_SHADOWED = {
    "torch",
    "numpy",
    "pandas",
    "scipy",
    "sklearn",
    "yaml",
    "tqdm",
    "fastapi",
    "onnx",
    "onnxruntime",
    "dvc",
    "mlflow",
    "wandb",
    "tensorboard",
    "pytest",
    "test",
    "tests",
    "setuptools",
    "pip",
    "src",
    "typing_extensions",
    "pydantic",
    "uvicorn",
    "httpx",
}


def _ascii_slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-").lower()


def check_project_name(name: str) -> str:
    """Return the NFC-normalized name, or raise InputError naming it with a suggestion."""
    name = unicodedata.normalize("NFC", name)
    shown = repr(name) if len(name) <= 80 else repr(name[:77] + "...")
    if not name.strip():
        raise InputError(f"project name {shown} is empty")
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise InputError(f"project name {shown} contains control characters")
    if "/" in name or "\\" in name or ".." in name:
        raise InputError(f"project name {shown} must be a single name, not a path")
    if len(name) > MAX_NAME:
        raise InputError(
            f"project name {shown} is {len(name)} characters long (at most {MAX_NAME})"
        )
    if not _NAME.fullmatch(name):
        slug = _ascii_slug(name)
        hint = f"; try '{slug}'" if slug and _NAME.fullmatch(slug) else ""
        raise InputError(
            f"project name {shown} must start with a letter and use only ASCII "
            f"letters, digits, '.', '_' or '-'{hint}"
        )
    if name.lower() in _WINDOWS_RESERVED:
        raise InputError(f"project name {shown} is reserved on Windows")
    return name


def package_name(project_name: str) -> str:
    """The import package derived from a project name: `acme-vision` -> `acme_vision`."""
    return re.sub(r"[^a-z0-9_]", "_", project_name.lower())


def check_package_name(pkg: str) -> str:
    """Return `pkg` if it is a safe import name, else raise InputError with a suggestion."""
    suggestion = f"my_{re.sub(r'[^a-z0-9_]', '_', pkg.lower()).strip('_') or 'project'}"
    hint = f" (pass --data package_name={suggestion})"
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", pkg):
        raise InputError(f"package name {pkg!r} is not a lowercase Python identifier{hint}")
    if keyword.iskeyword(pkg) or keyword.issoftkeyword(pkg):
        raise InputError(f"package name {pkg!r} is a Python keyword{hint}")
    if pkg in _SHADOWED or pkg in sys.stdlib_module_names:
        raise InputError(f"package name {pkg!r} would shadow the module of the same name{hint}")
    return pkg
