"""Golden tests: invalid catalogs under corpus/<case>/catalog and the exact `validate` output.

Each case folder holds ``catalog/`` and ``expected.txt`` (the text output of
``reconciler validate --catalog catalog`` run from the case folder). Some cases need files that
must not be committed (a symlink, 50 MB, 100000 levels of nesting, invalid UTF-8): those are
written into a copy of the case in tmp_path by ``GENERATORS``.

Rewrite the goldens after an intended change with ``UPDATE_GOLDENS=1 pytest tests/catalog``;
then read the diff as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from guards import fails_instead_of_hanging

from reconciler.catalog.chars import BIDI_CONTROLS
from reconciler.cli import main

CORPUS = Path(__file__).parent / "corpus"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
PLAINTEXT_SECRET = "sk-or-v1-DO-NOT-LEAK-4f9a8b7c6d5e"


def _too_large(catalog: Path) -> None:
    # 50 MB of valid-looking YAML: rejected by size before it is read or parsed.
    line = b"description: " + b"x" * 1010 + b"\n"
    with open(catalog / "models" / "huge.yaml", "wb") as fh:
        for _ in range(50 * 1024):
            fh.write(line)


def _deep_flow(catalog: Path) -> None:
    (catalog / "models" / "deep.yaml").write_text("x: " + "[" * 100_000 + "]" * 100_000 + "\n")


def _deep_block(catalog: Path) -> None:
    (catalog / "models" / "deep.yaml").write_text("- " * 100_000 + "x\n")


def _non_utf8(catalog: Path) -> None:
    (catalog / "models" / "latin1.yaml").write_bytes(b"kind: Model\ndisplay_name: Caf\xe9 Model\n")


def _symlink_out(catalog: Path) -> None:
    outside = catalog.parent / "outside.enc.yaml"
    outside.write_text("api_key: ENC[AES256_GCM,data:xx]\nsops:\n  version: 3.9.0\n")
    (catalog / "secrets").mkdir()
    (catalog / "secrets" / "link.enc.yaml").symlink_to(outside)


def _bad_file_name(catalog: Path) -> None:
    # names that are not UTF-8: a file, and a folder that holds one
    models = os.fsencode(catalog / "models")
    with open(models + b"/caf\xe9.yaml", "wb") as fh:
        fh.write(b"kind: Settings\n")
    os.mkdir(models + b"/\xff\xfe")
    with open(models + b"/\xff\xfe/m.yaml", "wb") as fh:
        fh.write(b"kind: Model\n")


def _not_regular_files(catalog: Path) -> None:
    os.mkfifo(catalog / "models" / "fifo.yaml")  # open() for reading would wait for a writer
    (catalog / "models" / "folder.yaml").mkdir()  # a folder is walked, not read


def _symlink_outside(catalog: Path) -> None:
    outside = catalog.parent / "outside.yaml"
    outside.write_text("kind: Settings\ndefault_model: gpt-5-5\n")
    (catalog / "models" / "outside.yaml").symlink_to(Path("..") / ".." / "outside.yaml")
    (catalog / "models" / "absolute.yml").symlink_to(outside)
    (catalog / "models" / "passwd.yaml").symlink_to("/etc/passwd")
    # a symlink inside the catalog is read as usual
    shared = catalog / "shared"
    shared.mkdir()
    (shared / "o4.txt").write_text(
        "kind: Model\ndisplay_name: O4\ndeployment: platform\nprovider: openai\n"
        "model_id: openai/o4\ncontext_window: 200000\n"
    )
    (catalog / "models" / "o4.yaml").symlink_to(Path("..") / "shared" / "o4.txt")


def _environment_files(catalog: Path) -> None:
    """An overlay's files get the base's checks: each of these is reported, none is read."""
    staging = catalog / "environments" / "staging"
    with open(os.fsencode(staging) + b"/caf\xe9.yaml", "wb") as fh:
        fh.write(b"kind: Settings\n")
    os.mkfifo(staging / "fifo.yaml")
    outside = catalog.parent / "outside.yaml"
    outside.write_text("kind: Model\nslug: gpt-5-5\nenabled: false\n")
    (staging / "outside.yaml").symlink_to(outside)
    (staging / "empty.yaml").write_text("# nothing yet\n")
    # a SOPS file beside the overlay is a secret file, not an overlay document: no problem
    (staging / "keys.enc.yaml").write_text(
        "api_key: ENC[AES256_GCM,data:xx]\nsops:\n  version: 3.9.0\n"
    )
    # an environment folder that is a symlink out of the catalog is not read at all
    production = catalog / "environments" / "production"
    production.rename(catalog.parent / "production")
    production.symlink_to(catalog.parent / "production")


def _control_characters(catalog: Path) -> None:
    models = catalog / "models"
    (models / "bel.yaml").write_bytes(b'kind: Model\ndisplay_name: "GPT\x07 5"\n')
    (models / "nul.yaml").write_bytes(b"kind: Model\ndisplay_name: GPT\x00 5\n")
    (models / "esc.yaml").write_bytes(
        b"kind: Model\n\ndescription: \x1b[31mred\x1b[0m and \x1b[1mbold\x1b[0m\n"
    )
    # a C1 control (U+009B, CSI) after non-ASCII text: the column counts characters
    (models / "c1.yaml").write_bytes("kind: Model\ndisplay_name: Café \u009b5\n".encode())


GENERATORS: dict[str, Callable[[Path], None]] = {
    "generated-too-large": _too_large,
    "generated-deep-flow-100000": _deep_flow,
    "generated-deep-block-100000": _deep_block,
    "generated-non-utf8": _non_utf8,
    "rule-secret-path-symlink": _symlink_out,
    "generated-bad-file-name": _bad_file_name,
    "generated-not-regular-files": _not_regular_files,
    "generated-symlink-outside": _symlink_outside,
    "generated-control-characters": _control_characters,
    "generated-environment-files": _environment_files,
}
# Cases whose base catalog is valid, and only environments have errors: what validate says.
BASE_VALID = {
    "generated-environment-files": ["catalog/ is valid: 1 model, 0 credentials"],
    "environment-broken-credentials": ["catalog/ is valid: 1 model, 2 credentials"],
}
# Cases whose json and github output is golden too.
MACHINE_CASES = [
    "format-escaping",
    "generated-bad-file-name",
    "generated-control-characters",
    "generated-not-regular-files",
    "rule-default-model-missing",
    "rule-default-model-missing-no-settings",  # about the folder: no line, counted as no file
    "schema-bidi-identifiers",
    "schema-url-credentials",
    "schema-yaml11-booleans",
]
# Cases that hold canary secrets that must never be printed.
SECRET_CASES = [
    "schema-plaintext-secret",
    "schema-plaintext-secret-optional",
    "schema-url-credentials",
    "schema-nul-character",
]


def _prepare(case: str, tmp_path: Path) -> Path:
    """A copy of the case in tmp_path (generators never write into the repository)."""
    work = tmp_path / case
    shutil.copytree(CORPUS / case / "catalog", work / "catalog")
    (work / "catalog" / "models").mkdir(exist_ok=True)
    if case in GENERATORS:
        GENERATORS[case](work / "catalog")
    return work


def _validate(work: Path, *args: str) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(work)
    try:
        with fails_instead_of_hanging():
            result = CliRunner().invoke(main, ["validate", "--catalog", "catalog", *args])
    finally:
        os.chdir(old)
    # never a Python traceback for bad input: the command itself exits with 0 or 1
    assert isinstance(result.exception, SystemExit | None), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run with UPDATE_GOLDENS=1 to create it"
    assert actual == path.read_text(encoding="utf-8"), (
        f"output differs from {path}; if the change is intended, rerun with UPDATE_GOLDENS=1"
    )


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 40
    assert not [c for c in GENERATORS if c not in CASES]


@pytest.mark.parametrize("case", CASES)
def test_invalid_catalog_golden(case: str, tmp_path: Path) -> None:
    work = _prepare(case, tmp_path)
    code, output = _validate(work)
    _golden(CORPUS / case / "expected.txt", output)
    assert code == 1, output
    assert "error[" in output
    # only a valid base says so (its environments' errors fail the run all the same)
    valid = [line for line in output.splitlines() if "is valid" in line]
    assert valid == BASE_VALID.get(case, [])


@pytest.mark.parametrize("fmt", ["json", "github"])
@pytest.mark.parametrize("case", MACHINE_CASES)
def test_machine_formats_golden(case: str, fmt: str, tmp_path: Path) -> None:
    work = _prepare(case, tmp_path)
    code, output = _validate(work, "--format", fmt)
    _golden(CORPUS / case / f"expected.{fmt}", output)
    assert code == 1
    if fmt == "json":
        assert json.loads(output)


def test_github_format_escapes_newlines_and_percent(tmp_path: Path) -> None:
    work = _prepare("format-escaping", tmp_path)
    _, output = _validate(work, "--format", "github")
    lines = output.splitlines()
    assert all(line.startswith("::error file=") for line in lines), output
    odd = [line for line in lines if "odd" in line]
    assert odd == [
        "::error file=catalog/models/gpt-5-5.yaml,line=7,col=1,title=unknown-field"
        "::unknown field 'odd%25key%0Awith: newline, comma'; allowed: kind, display_name, "
        "slug, previous_slugs, deployment, provider, model_id, credential, category, "
        "description, release_date, context_window, max_output_tokens, capabilities, cost, "
        "enabled"
    ]


def test_json_format_is_parseable(tmp_path: Path) -> None:
    work = _prepare("rule-duplicate-slug-derived", tmp_path)
    _, output = _validate(work, "--format", "json")
    items = json.loads(output)
    assert [(i["code"], i["path"], i["line"], i["column"]) for i in items] == [
        ("duplicate-slug", "catalog/models/gpt-5-5.yaml", 2, 15)
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize("case", SECRET_CASES)
def test_plaintext_secret_never_printed(case: str, fmt: str, tmp_path: Path) -> None:
    work = _prepare(case, tmp_path)
    code, output = _validate(work, "--format", fmt)
    assert code == 1
    assert "plaintext-secret" in output
    assert PLAINTEXT_SECRET not in output
    assert "DO-NOT-LEAK" not in output


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_bad_secret_reference_never_prints_a_value(fmt: str, tmp_path: Path) -> None:
    """No value of a secret reference is printed, but for an invalid variable name that reads
    as a mistyped name (a name is no secret; one that reads as a key may be the secret)."""
    work = _prepare("schema-secret-reference-forms", tmp_path)
    code, output = _validate(work, "--format", fmt)
    assert code == 1
    assert "unknown key 'value' in a secret reference" in output
    assert "additionalProperties" not in output
    assert PLAINTEXT_SECRET not in output
    assert "DO-NOT-LEAK" not in output
    assert "'openai key' is not a valid environment variable name" in output
    assert "${ANTHROPIC_API_KEY}" in output
    assert "env-holds-secret.yaml" in output
    assert "CANARY" not in output


def test_plaintext_secret_in_broken_yaml_is_not_quoted(tmp_path: Path) -> None:
    """A syntax error right after a secret must not echo the line (libyaml's snippet)."""
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "cred.yaml").write_text(
        f"kind: ProviderCredential\napi_key: {PLAINTEXT_SECRET}\n  bad: [\n"
    )
    for fmt in ("text", "json", "github"):
        code, output = _validate(tmp_path, "--format", fmt)
        assert code == 1
        assert "yaml-syntax" in output
        assert PLAINTEXT_SECRET not in output


def test_deep_nesting_runs_in_process(tmp_path: Path) -> None:
    """libyaml's composer recurses on the C stack; 100000 levels must be a diagnostic, not a
    crash of the process (a crash would kill this test process)."""
    from reconciler.catalog.yamlio import load_text

    for text in ("[" * 100_000, "{" * 100_000, "- " * 100_000 + "x", "? " * 100_000):
        codes = [d.code for d in load_text(text, "deep.yaml").diagnostics]
        assert codes == ["too-deep"]
    nested = "".join("  " * i + f"k{i}:\n" for i in range(5000))
    assert [d.code for d in load_text(nested, "deep.yaml").diagnostics] == ["too-deep"]


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_bidi_and_control_characters_are_named_never_printed(fmt: str, tmp_path: Path) -> None:
    """Printed, they would reorder the terminal line or CI annotation that reports them."""
    for case in ("schema-bidi-identifiers", "generated-control-characters"):
        work = _prepare(case, tmp_path / fmt)
        code, output = _validate(work, "--format", fmt)
        assert code == 1
        assert "U+" in output
        unsafe = [c for c in output if c in BIDI_CONTROLS or (ord(c) < 32 and c != "\n")]
        assert unsafe == [], case
