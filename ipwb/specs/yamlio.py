"""YAML in and out for specs: line numbers on the way in, stable formatting on the way out.

Why a custom loader: every problem must be reported as ``file:line:col: message``, but a
plain ``yaml.safe_load`` forgets where values came from. :class:`SpecLoader` composes the
node tree (which carries marks) and builds plain Python data while recording, for every
path such as ``("steps", 2, "depends_on", 0)``, where its value and its key start.

Why custom resolvers: specs are JSON-shaped (they are validated with JSON Schema), so the
loader resolves scalars with the YAML 1.2 core schema — ``yes``/``on`` and ``2024-01-01``
stay strings, ``010`` is not octal, only ``true``/``false`` are booleans. The dumper quotes
any string that either YAML 1.1 or 1.2 would read as something else, so files stay
unambiguous for other tools too.

Comments are not preserved (PyYAML drops them at parse time); everything else round-trips.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from ipwb.errors import SpecError

PathKey = str | int
Path = tuple[PathKey, ...]

_CORE_RESOLVERS: tuple[tuple[str, str, str], ...] = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
)


_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass(frozen=True, slots=True)
class Location:
    """1-based line and column, as editors show them."""

    line: int
    column: int

    @classmethod
    def from_mark(cls, mark: yaml.Mark) -> Location:
        return cls(mark.line + 1, mark.column + 1)


@dataclass
class Document:
    """Parsed YAML data plus where each value (and each mapping key) was written."""

    source: str
    data: Any
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def locate(self, path: Sequence[PathKey], *, key: bool = False) -> Location:
        """Where ``path`` was written, falling back to its nearest recorded ancestor."""
        probe = tuple(path)
        if key and probe in self.keys:
            return self.keys[probe]
        while probe not in self.values and probe:
            probe = probe[:-1]
        return self.values.get(probe, Location(1, 1))

    def problem(self, path: Sequence[PathKey], message: str, *, key: bool = False) -> str:
        return format_problem(self.source, self.locate(path, key=key), message)


def format_problem(source: str, location: Location | None, message: str) -> str:
    """``file:line:col: message`` — the format editors and CI annotations understand."""
    if location is None:
        return f"{source}: {message}"
    return f"{source}:{location.line}:{location.column}: {message}"


class _MarkRecorder:
    """Builds plain data from a composed node tree, recording each node's mark."""

    if TYPE_CHECKING:  # provided by the loader class it is mixed into

        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any: ...

    def build(self, node: yaml.Node, path: Path, doc: Document) -> Any:
        doc.values[path] = Location.from_mark(node.start_mark)
        if isinstance(node, yaml.CollectionNode) and node.tag not in _COLLECTION_TAGS:
            message = f"YAML tag {node.tag!r} is not allowed in a spec"
            doc.problems.append(format_problem(doc.source, doc.values[path], message))
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            first_seen: dict[str, Location] = {}
            for key_node, value_node in node.value:
                key_loc = Location.from_mark(key_node.start_mark)
                if not isinstance(key_node, yaml.ScalarNode):
                    message = "mapping keys must be plain strings"
                    doc.problems.append(format_problem(doc.source, key_loc, message))
                    continue
                key = str(key_node.value)
                if key in first_seen:
                    doc.problems.append(
                        format_problem(
                            doc.source,
                            key_loc,
                            f"duplicate key {key!r} (first defined at line {first_seen[key].line})",
                        )
                    )
                    continue
                first_seen[key] = key_loc
                doc.keys[(*path, key)] = key_loc
                result[key] = self.build(value_node, (*path, key), doc)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), doc) for i, item in enumerate(node.value)]
        return self.construct_object(node, deep=True)


class SpecLoader(_MarkRecorder, yaml.SafeLoader):
    """A SafeLoader with YAML 1.2 core scalars that records the mark of every node."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}


_loaders: list[type[Any]] = [SpecLoader]
if getattr(yaml, "__with_libyaml__", False):

    class SpecCLoader(_MarkRecorder, yaml.CSafeLoader):  # type: ignore[misc,name-defined]
        """The same loader on libyaml's parser (about 10x faster on big pipelines)."""

        yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    _loaders.append(SpecCLoader)

for _loader in _loaders:
    for _tag, _regex, _first in _CORE_RESOLVERS:
        _loader.add_implicit_resolver(_tag, re.compile(_regex), list(_first))

#: the loader :func:`parse` uses by default (libyaml when installed)
DEFAULT_LOADER: type[Any] = _loaders[-1]


def parse(text: str, source: str = "<string>", loader_class: type[Any] | None = None) -> Document:
    """Parse one YAML document; syntax errors raise :class:`SpecError` with their line.

    Structural problems that still yield data (duplicate keys) are collected in
    ``Document.problems`` so validation can report them with everything else.

    >>> doc = parse("name: x\\nsteps:\\n  - id: a\\n")
    >>> doc.data, doc.locate(("steps", 0, "id"))
    ({'name': 'x', 'steps': [{'id': 'a'}]}, Location(line=3, column=9))
    """
    loader = (loader_class or DEFAULT_LOADER)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            empty = format_problem(source, Location(1, 1), "file is empty")
            raise SpecError(f"{source}: invalid spec", [empty])
        doc = Document(source, None)
        doc.data = loader.build(node, (), doc)
        return doc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location.from_mark(mark) if mark is not None else None
        reason = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise SpecError(
            f"{source}: invalid YAML", [format_problem(source, location, f"YAML syntax error: {reason}")]
        ) from None
    except yaml.YAMLError as exc:  # reader errors (bad characters) carry a position
        position = getattr(exc, "position", None)
        raise SpecError(f"{source}: invalid YAML", [f"{source}: YAML error at {position}: {exc}"]) from None
    finally:
        loader.dispose()


class SpecDumper(yaml.SafeDumper):
    """Block style, indented lists, flow style for short scalar lists, ``|`` for multi-line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


for _tag, _regex, _first in _CORE_RESOLVERS:  # quote strings that YAML 1.2 would re-type
    SpecDumper.add_implicit_resolver(_tag, re.compile(_regex), list(_first))


def _represent_str(dumper: SpecDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: SpecDumper, value: Sequence[Any]) -> yaml.SequenceNode:
    scalars = bool(value) and all(
        isinstance(v, str | int | float | bool) and "\n" not in str(v) for v in value
    )
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=scalars)


def _represent_dict(dumper: SpecDumper, value: Mapping[str, Any]) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=not value)


SpecDumper.add_representer(str, _represent_str)
SpecDumper.add_representer(list, _represent_list)
SpecDumper.add_representer(tuple, _represent_list)
SpecDumper.add_representer(dict, _represent_dict)


def dump_data(data: Mapping[str, Any]) -> str:
    """Serialize JSON-shaped data in the stable spec format (keys in the given order).

    >>> print(dump_data({"name": "x", "depends_on": ["a", "b"], "sql": "select 1\\nfrom t\\n"}), end="")
    name: x
    depends_on: [a, b]
    sql: |
      select 1
      from t
    """
    text: str = yaml.dump(
        dict(data),
        Dumper=SpecDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 30,
        indent=2,
    )
    return text
