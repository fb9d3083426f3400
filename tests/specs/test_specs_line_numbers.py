"""Malformed specs are rejected with the right line numbers.

Each fixture marks its bad lines with a trailing ``# expect: fragment [| fragment…]``
comment; the test requires a problem on exactly those lines, each containing its fragment,
and no problem anywhere else. Both the pure-Python and the libyaml loader must agree.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ipwb.errors import SpecError
from ipwb.specs import check_file, check_text, loads, validate_paths, yamlio

FIXTURES = Path(__file__).parent / "fixtures"
INVALID = sorted((FIXTURES / "invalid").rglob("*.yaml"))
_EXPECT = re.compile(r"#\s*expect:\s*(.+)$")
_LOCATION = re.compile(r"^(?P<source>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$", re.S)


def expectations(path: Path) -> dict[int, list[str]]:
    expected: dict[int, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            expected[number] = [part.strip() for part in match.group(1).split(" | ")]
    return expected


def by_line(problems: list[str]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for problem in problems:
        match = _LOCATION.match(problem)
        assert match, f"problem without file:line:col: {problem!r}"
        found.setdefault(int(match["line"]), []).append(match["message"])
    return found


def assert_matches(problems: list[str], expected: dict[int, list[str]]) -> None:
    found = by_line(problems)
    assert sorted(found) == sorted(expected), "\n".join(problems)
    for line, fragments in expected.items():
        for fragment in fragments:
            assert any(fragment in message for message in found[line]), (line, fragment, found[line])


@pytest.mark.parametrize("path", INVALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_invalid_fixture_reports_exactly_the_marked_lines(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path} has no '# expect:' markers"
    result = check_file(path)
    assert result.spec is None
    assert all(p.startswith(str(path)) for p in result.problems)
    assert_matches(result.problems, expected)


@pytest.mark.parametrize("loader", yamlio._loaders, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "path", [p for p in INVALID if "syntax" in p.name or "unclosed" in p.name], ids=lambda p: p.name
)
def test_both_loaders_agree_on_syntax_error_lines(loader: type, path: Path) -> None:
    with pytest.raises(SpecError) as exc:
        yamlio.parse(path.read_text(), str(path), loader)
    assert list(by_line(exc.value.problems)) == list(expectations(path))


def test_cross_file_references_are_checked_when_the_kinds_are_present() -> None:
    report = validate_paths([FIXTURES / "crossref"])
    assert not report.ok
    for path in sorted((FIXTURES / "crossref").rglob("*.yaml")):
        mine = [p for p in report.problems if p.startswith(f"{path}:")]
        assert_matches(mine, expectations(path))
    # validated alone, the pipeline's domain cannot be checked and is accepted
    assert validate_paths([FIXTURES / "crossref" / "pipelines"]).ok


def test_unknown_key_points_at_the_key_column() -> None:
    text = "name: p\nowner: o\nsteps:\n  - id: a\n    kind: sql\n    confg: {sql: select 1}\n"
    with pytest.raises(SpecError) as exc:
        loads(text, "pipeline", "p.yaml")
    assert exc.value.problems == ["p.yaml:6:5: steps[0]: unknown key 'confg' (did you mean 'config'?)"]


def test_loads_reports_every_problem_in_line_order() -> None:
    text = "name: p\nowner: o\nsteps:\n  - id: b\n    kind: sql\n    depends_on: [a]\n    config: {sql: x}\n"
    text += "  - id: a\n    kind: sql\n    depends_on: [b]\n    config: {sql: y}\n  - id: c\n    kind: nope\n"
    with pytest.raises(SpecError) as exc:
        loads(text, "pipeline", "p.yaml")
    lines = [int(p.split(":")[1]) for p in exc.value.problems]
    assert lines == sorted(lines) == [6, 13]
    assert "dependency cycle: b → a → b" in exc.value.problems[0]  # starts at the first declared


def test_empty_and_unreadable_files(tmp_path: Path) -> None:
    empty = tmp_path / "pipelines" / "empty.yaml"
    empty.parent.mkdir()
    empty.write_text("# nothing here\n")
    assert check_file(empty).problems == [f"{empty}:1:1: file is empty"]
    missing = validate_paths([tmp_path / "pipelines" / "missing.yaml"])
    assert missing.problems == [f"{tmp_path / 'pipelines' / 'missing.yaml'}: no such file or directory"]
    stray = tmp_path / "stray.yaml"
    stray.write_text("name: x\n")
    assert "cannot tell the spec kind" in validate_paths([stray]).problems[0]
    assert validate_paths([tmp_path]).skipped == [str(stray)]


def test_dangerous_tags_are_refused() -> None:
    result = check_file_text("name: p\nowner: o\nsteps: !!python/object:os.system {}\n")
    assert any(":3:8: YAML tag" in p for p in result)
    result = check_file_text("name: !!python/name:os.system p\nowner: o\nsteps: []\n")
    assert any(p.startswith("t.yaml:1:7:") for p in result)


def check_file_text(text: str) -> list[str]:
    return check_text(text, "pipeline", "t.yaml").problems
