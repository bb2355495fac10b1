"""The one reader of a template's own description: copier.yml (every YAML document, merged as
copier merges them) or cookiecutter.json, parsed once into a `Template` that gives its version,
questions, computed values, policy and `_dlgen` block.

Nothing here renders or imports copier; PyYAML is imported only when a file is parsed, because
`dlgen check` imports this module for `version_of` and must start fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dlgen.errors import InputError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs `dlgen check` ~3 ms
if TYPE_CHECKING:
    from typing import Any

    from dlgen.answers import Policy

_COPIER_FILES = ("copier.yml", "copier.yaml")
_COPIER_TYPES = ("bool", "float", "int", "json", "str", "yaml")
_QUESTION_KEYS = ("type", "help", "choices", "default", "multiselect", "secret", "when")
# copier concatenates these settings across documents; every other key: the last document wins
_MERGED_LISTS = ("_exclude", "_jinja_extensions", "_secret_questions", "_skip_if_exists")


@dataclass(frozen=True)
class Choice:
    """One allowed answer: what the questionnaire shows and what the answer becomes."""

    label: str
    value: Any


@dataclass(frozen=True)
class Question:
    """One question as the template declares it; Jinja in defaults and `when` is not rendered."""

    name: str
    type: str
    help: str
    choices: tuple[Choice, ...] = ()
    default: Any = None
    required: bool = False  # no default: `--defaults` cannot answer it
    multiselect: bool = False
    secret: bool = False
    when: bool | str = True  # False: computed, never asked; a string: a Jinja condition

    @property
    def computed(self) -> bool:
        """copier's `when: false`: the template derives the value; it is never an answer."""
        when = self.when
        return when is False or (isinstance(when, str) and when.strip().lower() in {"false", "no"})

    @property
    def values(self) -> tuple[str, ...]:
        """The choices as `--data` gives them."""
        return tuple(str(c.value) for c in self.choices)

    def describe(self) -> str:
        """`name: help [choices: a, b]`, for a message that lists questions."""
        text = self.name + (f": {self.help.strip()}" if self.help.strip() else "")
        if self.choices:
            text += f" [choices: {', '.join(self.values)}]"
        elif self.type != "str":
            text += f" [{self.type}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (see `dlgen templates T --format json`)."""
        data = {k: getattr(self, k) for k in ("name", "type", "help")}
        data["choices"] = [{"label": c.label, "value": c.value} for c in self.choices]
        data.update({k: getattr(self, k) for k in ("default", "required", "multiselect")})
        data.update(secret=self.secret, when=self.when)
        return data


@dataclass(frozen=True)
class Template:
    """What a template declares about itself, from one parse of copier.yml or cookiecutter.json."""

    path: Path
    flavour: str  # the file read: copier or cookiecutter
    flavours: tuple[str, ...]  # every flavour the directory speaks (a template may have both)
    questions: tuple[Question, ...]
    dlgen: dict[str, Any]  # copier.yml's `_dlgen` block; {} for cookiecutter

    @property
    def version(self) -> str | None:
        """`_dlgen.version`, the version of a template that is not read from git tags."""
        version = self.dlgen.get("version")
        return None if version is None else str(version)

    @property
    def description(self) -> str:
        """`_dlgen.description`."""
        return str(self.dlgen.get("description", ""))

    @property
    def names(self) -> tuple[str, ...]:
        """Every question's name in order, computed ones included."""
        return tuple(q.name for q in self.questions)

    @property
    def computed(self) -> tuple[str, ...]:
        """The computed values (`when: false`): the template's to derive, never answers."""
        return tuple(q.name for q in self.questions if q.computed)

    @classmethod
    def load(cls, template_dir: Path, flavour: str | None = None) -> Template:
        """Parse the template in `template_dir`; `flavour` picks one of a template with both."""
        return _load(template_dir, flavour)

    @classmethod
    def version_of(cls, template_dir: Path) -> str | None:
        """`load(template_dir).version`, read from the text without PyYAML when the file has
        dlgen's own layout (`_fast_version`), so that `dlgen check` starts fast."""
        try:
            text = _copier_file(template_dir).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return _load(template_dir, None).version  # cookiecutter, or the error to raise
        fast = _fast_version(text)
        return fast if fast is not None else _load(template_dir, None).version

    def policy(self, where: str) -> Policy:
        """The policy the `_dlgen` block declares (file lists and version rules); `where` names
        the block in an error."""
        from dlgen.answers import policy_from_meta

        return policy_from_meta(self.dlgen, where)


def flavours(template_dir: Path) -> tuple[str, ...]:
    """The template languages `template_dir` speaks: copier, cookiecutter, or both."""
    found = []
    if any((template_dir / n).is_file() for n in _COPIER_FILES):
        found.append("copier")
    if (template_dir / "cookiecutter.json").is_file():
        found.append("cookiecutter")
    return tuple(found)


def pick_flavour(template_dir: Path, flavour: str | None) -> str:
    """The flavour to render: the one asked for (it must exist), else copier, else cookiecutter."""
    found = flavours(template_dir)
    if not found:
        raise InputError(f"{template_dir} is not a template: no copier.yml or cookiecutter.json")
    if flavour is None:
        return found[0]
    if flavour not in found:
        raise InputError(
            f"--flavour {flavour}: the template has no "
            f"{'copier.yml' if flavour == 'copier' else 'cookiecutter.json'}"
        )
    return flavour


def _load(template_dir: Path, flavour: str | None) -> Template:
    found = flavours(template_dir)
    chosen = pick_flavour(template_dir, flavour)
    if chosen == "cookiecutter":
        questions = _cookiecutter_questions(template_dir / "cookiecutter.json")
        return Template(template_dir, chosen, found, questions, {})
    data = read_copier_yml(_copier_file(template_dir))
    secret = set(data.get("_secret_questions") or ())
    questions = tuple(
        _copier_question(k, v, secret)
        for k, v in data.items()
        if isinstance(k, str) and not k.startswith("_")
    )
    block = data.get("_dlgen")
    return Template(
        template_dir, chosen, found, questions, block if isinstance(block, dict) else {}
    )


def _copier_file(template_dir: Path) -> Path:
    path = template_dir / _COPIER_FILES[0]
    return path if path.is_file() else template_dir / _COPIER_FILES[1]


# --- copier.yml -----------------------------------------------------------------------------------


def read_copier_yml(path: Path) -> dict[str, Any]:
    """copier.yml as copier reads it: every document merged, the last one winning a key, the list
    settings (`_skip_if_exists`, ...) concatenated; copier's tags (`!include`) read as nulls."""
    import yaml

    try:
        docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_loader()))
    except yaml.YAMLError as e:
        raise InputError(f"{path} is not valid YAML: {e}") from e
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 (byte {e.start})") from e
    merged: dict[str, Any] = {}
    for doc in docs:
        merged.update(doc if isinstance(doc, dict) else {})
    for key in _MERGED_LISTS:
        lists = [d[key] for d in docs if isinstance(d, dict) and isinstance(d.get(key), list)]
        if len(lists) > 1:
            merged[key] = [item for items in lists for item in items]
    return merged


@cache
def _loader() -> Any:
    """SafeLoader that reads copier's custom tags (!include) as nulls."""
    import yaml

    class CopierLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    CopierLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)
    return CopierLoader


def _copier_question(name: str, spec: Any, secret: set[Any]) -> Question:
    if not isinstance(spec, dict) or not set(spec) & set(_QUESTION_KEYS):
        spec = {"default": spec}  # copier's shorthand `name: default`
    when = spec.get("when", True)
    return Question(
        name=name,
        type=_copier_type(spec.get("type"), spec),
        help=str(spec.get("help") or ""),
        choices=_choices(spec.get("choices")),
        default=spec.get("default"),
        required="default" not in spec,
        multiselect=bool(spec.get("multiselect", False)),
        secret=bool(spec.get("secret", False)) or name in secret,
        when=when if isinstance(when, bool) else str(when),
    )


def _copier_type(declared: Any, spec: dict[str, Any]) -> str:
    """copier's rule: the declared type, else the default's Python type, else yaml."""
    if declared:
        return str(declared)
    name = type(spec["default"]).__name__ if "default" in spec else ""
    return name if name in _COPIER_TYPES else "yaml"


def _choices(raw: Any) -> tuple[Choice, ...]:
    """copier's choices: a list of values or [label, value] pairs, or a label -> value mapping."""
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [tuple(c) if isinstance(c, list) and len(c) == 2 else (c, c) for c in raw]
    else:
        pairs = [] if raw is None else [(raw, raw)]  # a Jinja string renders to the list
    return tuple(
        Choice(str(label), value.get("value") if isinstance(value, dict) else value)
        for label, value in pairs
    )


# --- cookiecutter.json ----------------------------------------------------------------------------


def _cookiecutter_questions(path: Path) -> tuple[Question, ...]:
    """Every variable not private to the template (`_x`), with `__prompts__` as help."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:  # UnicodeDecodeError too
        raise InputError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a JSON object of variables")
    prompts = data.get("__prompts__")
    prompts = prompts if isinstance(prompts, dict) else {}
    return tuple(
        _cookiecutter_question(k, v, prompts.get(k)) for k, v in data.items() if k[:1] != "_"
    )


def _cookiecutter_question(name: str, value: Any, prompt: Any) -> Question:
    if isinstance(prompt, dict):  # a choice question's prompts: {"__prompt__": ..., value: label}
        labels = {str(k): str(v) for k, v in prompt.items()}
        prompt = labels.pop("__prompt__", "")
    else:
        labels = {}
    if isinstance(value, list):
        choices = tuple(Choice(labels.get(str(v), str(v)), v) for v in value)
        return Question(name, "str", str(prompt or ""), choices, value[0] if value else None)
    kind = "bool" if isinstance(value, bool) else "json" if isinstance(value, dict) else "str"
    return Question(name, kind, str(prompt or ""), (), value)


# --- the version alone, for `dlgen check` -------------------------------------------------------

# dlgen's own layout: `_dlgen:` opening with `version:` a dotted version that YAML reads as text
# (two dots: never a number), plain or quoted without escapes.
_FAST_VERSION = re.compile(
    r"^_dlgen:[ \t]*\n  version:[ \t]*(?P<q>['\"]?)(?P<v>\d+\.\d+\.\d+[0-9A-Za-z.+-]*)(?P=q)"
    r"(?:[ \t]+#.*)?[ \t]*$",
    re.M,
)
_TOP_KEY = re.compile(r"^[^\s#]", re.M)


def _fast_version(text: str) -> str | None:
    """The version when the text's layout makes it certain, else None (then parse the file):
    one document, one `_dlgen:` block opening with one `version:`, no quoted or complex keys."""
    if len(re.findall(r"^_dlgen[ \t]*:", text, re.M)) != 1:
        return None  # no block, or a second one that would win
    if re.search(r"^(---|\.\.\.|%|['\"?&!{\[])", text, re.M) or "\t" in text or "\r" in text:
        return None  # documents, directives, quoted or complex keys, tabs, CRs: the parser decides
    found = _FAST_VERSION.search(text)
    if found is None:
        return None
    end = _TOP_KEY.search(text, found.end())
    block = text[found.end() : end.start() if end else len(text)]
    following = next((ln for ln in block.splitlines() if ln.strip()), "")
    if following.startswith("   ") or re.search(r"^  version[ \t]*:", block, re.M):
        return None  # a continued scalar, or a second `version:` (it would win)
    return found.group("v")
