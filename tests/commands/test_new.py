"""``reconciler new model`` / ``new credential``: one new, valid file, never over another."""

from __future__ import annotations

import io
import os
import select
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from reconciler import cli, extras
from reconciler.catalog.validate import validate_catalog
from reconciler.diagnostics import has_errors
from reconciler.lint.knowledge import model_cost

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    shutil.copytree(REPO / "catalog", root)
    return root


def _new(catalog: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli.main, ["new", *args, "--catalog", str(catalog)], input=stdin)


def _valid(catalog: Path) -> None:
    result = validate_catalog(catalog)
    assert not has_errors(result.diagnostics), result.diagnostics


def test_new_model_is_filled_from_litellm_and_validates(catalog: Path) -> None:
    result = _new(
        catalog,
        "model",
        "--provider",
        "openai",
        "--model-id",
        "gpt-4o-2024-08-06",
        "--display-name",
        "GPT-4o August",
        "--credential",
        "prod-openai",
        "--category",
        "standard",
    )
    assert result.exit_code == 0, result.output
    path = catalog / "models" / "custom" / "gpt-4o-august.yaml"
    assert f"wrote {path}" in result.output
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../../schemas/model.schema.json"
    assert lines[1] == "kind: Model"
    doc = yaml.safe_load(text)
    assert doc["slug"] == "gpt-4o-august"  # pinned, not left to derivation
    litellm = model_cost()["gpt-4o-2024-08-06"]
    assert doc["context_window"] == litellm["max_input_tokens"]
    assert doc["max_output_tokens"] == litellm["max_output_tokens"]
    assert doc["cost"] == {
        "input_per_token": litellm["input_cost_per_token"],
        "output_per_token": litellm["output_cost_per_token"],
    }
    assert doc["capabilities"]["vision"] is litellm["supports_vision"]
    assert doc["capabilities"]["tool_use"] is litellm["supports_function_calling"]
    for field in ("context_window:", "max_output_tokens:", "capabilities:", "cost:"):
        line = next(x for x in lines if x.startswith(field))
        assert line.endswith("# from litellm's model data (gpt-4o-2024-08-06)"), line
    assert "display_name: GPT-4o August" in lines  # given values carry no such mark
    _valid(catalog)


def test_new_platform_model_lands_under_platform(catalog: Path) -> None:
    result = _new(
        catalog,
        "model",
        "--deployment",
        "platform",
        "--provider",
        "anthropic",
        "--model-id",
        "anthropic/claude-new-test",
        "--context-window",
        "100000",
    )
    assert result.exit_code == 0, result.output
    path = catalog / "models" / "platform" / "claude-new-test.yaml"
    doc = yaml.safe_load(path.read_text())
    assert doc["context_window"] == 100000
    assert "litellm" not in path.read_text()  # it knows nothing of this model: nothing marked
    _valid(catalog)


def test_new_never_overwrites(catalog: Path) -> None:
    args = ["model", "--provider", "openai", "--model-id", "gpt-4o", "--display-name", "GPT-4o"]
    path = catalog / "models" / "custom" / "gpt-4o.yaml"
    before = path.read_bytes()
    result = _new(catalog, *args)
    assert result.exit_code == 1
    assert f"{path} already exists; new never overwrites a file" in result.output
    assert path.read_bytes() == before


def test_an_invalid_result_is_not_written(catalog: Path) -> None:
    result = _new(
        catalog,
        "model",
        "--provider",
        "openai",
        "--model-id",
        "gpt-4o",
        "--display-name",
        "GPT-4o Other",
        "--credential",
        "nope",
    )
    assert result.exit_code == 1
    assert "would make the catalog invalid; nothing was written" in result.output
    assert "models/custom/gpt-4o-other.yaml:" in result.output  # located in the catalog
    assert "nope" in result.output
    assert not (catalog / "models" / "custom" / "gpt-4o-other.yaml").exists()
    assert "Traceback" not in result.output


def test_missing_values_off_a_terminal_name_the_flags(catalog: Path) -> None:
    result = _new(catalog, "model", "--provider", "openai")
    assert result.exit_code == 1
    assert "new model: missing --model-id" in result.output
    result = _new(catalog, "credential", "--provider", "huggingface", "--name", "hf")
    assert result.exit_code == 1
    assert "missing --endpoint-url, --env (or --sops-file and --sops-key" in result.output
    assert not (catalog / "credentials" / "hf.yaml").exists()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: True)


@pytest.mark.usefixtures("terminal")
def test_bedrock_asks_region_and_key_form_never_the_secret(catalog: Path) -> None:
    # provider, name (default), display name (blank), region, key form, endpoint (blank),
    # where the secret is, the variable prefix
    answers = "bedrock\n\n\neu-west-1\naccess-keys\n\nenv\nAWS_PROD\n"
    result = _new(catalog, "credential", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "AWS region" in result.output
    assert "Key form" in result.output
    assert "Inference Endpoint URL" not in result.output
    doc = yaml.safe_load((catalog / "credentials" / "prod-bedrock.yaml").read_text())
    assert doc == {
        "kind": "ProviderCredential",
        "name": "prod-bedrock",
        "provider": "bedrock",
        "region": "eu-west-1",
        "access_key_id": {"env": "AWS_PROD_ACCESS_KEY_ID"},
        "secret_access_key": {"env": "AWS_PROD_SECRET_ACCESS_KEY"},
    }
    _valid(catalog)


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("provider", "asked", "answer", "field"),
    [
        ("huggingface", "Inference Endpoint URL", "https://x.endpoints.example", "endpoint_url"),
        ("openai_compatible", "Base URL of the API", "http://127.0.0.1:8000/v1", "base_url"),
    ],
)
def test_questions_adapt_to_the_provider(
    catalog: Path, provider: str, asked: str, answer: str, field: str
) -> None:
    answers = f"{provider}\nself-hosted\n\n{answer}\naws\nprod/llm\n"
    result = _new(catalog, "credential", stdin=answers)
    assert result.exit_code == 0, result.output
    assert asked in result.output
    assert "AWS region" not in result.output
    doc = yaml.safe_load((catalog / "credentials" / "self-hosted.yaml").read_text())
    assert doc[field] == answer
    assert doc["api_key"] == {"aws_secretsmanager": {"secret_id": "prod/llm"}}
    _valid(catalog)


@pytest.mark.usefixtures("terminal")
def test_model_prompts_for_what_is_missing(catalog: Path) -> None:
    # deployment, provider, model ID, display name (default), credential, category,
    # context window (litellm does not know this model)
    answers = "custom\nanthropic\nclaude-internal-test\n\nprod-anthropic\nbudget\n50000\n"
    result = _new(catalog, "model", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "Context window (tokens)" in result.output
    doc = yaml.safe_load((catalog / "models" / "custom" / "claude-internal-test.yaml").read_text())
    assert doc["credential"] == "prod-anthropic"
    assert doc["category"] == "budget"
    assert doc["context_window"] == 50000
    _valid(catalog)


@pytest.mark.usefixtures("terminal")
def test_platform_model_takes_any_vendor_and_asks_no_credential(catalog: Path) -> None:
    # deployment, vendor (free text), model ID, display name (default), category, context
    answers = "platform\nsome-lab\nsome-lab/model-x\n\nbudget\n1000\n"
    result = _new(catalog, "model", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "Upstream vendor (e.g. openai" in result.output
    assert "Credential" not in result.output
    doc = yaml.safe_load((catalog / "models" / "platform" / "model-x.yaml").read_text())
    assert (doc["provider"], doc["model_id"], doc["slug"]) == (
        "some-lab",
        "some-lab/model-x",
        "model-x",
    )
    _valid(catalog)


_PLATFORM = ("--provider", "anthropic", "--model-id", "anthropic/claude-x")


def test_a_platform_model_refuses_a_credential_of_its_own_before_writing(catalog: Path) -> None:
    before = _tree(catalog)
    args = ("model", "--deployment", "platform", *_PLATFORM, "--context-window", "1000")
    result = _new(catalog, *args, "--credential", "platform-openrouter")
    assert result.exit_code == 1
    assert result.output == (
        "error: --credential platform-openrouter: platform models are served through the "
        "settings' platform_credential (the openrouter credential every platform model uses), "
        "not a credential of their own; nothing was written\n"
        "  hint: leave --credential out (set platform_credential in the catalog's Settings), or "
        "pass --deployment custom to call the provider with this credential\n"
    )
    assert _tree(catalog) == before
    # '-' (none) is what a platform model has anyway: taken, and not written as a value
    none = _new(catalog, *args, "--credential", "-")
    assert none.exit_code == 0, none.output
    doc = yaml.safe_load((catalog / "models" / "platform" / "claude-x.yaml").read_text())
    assert "credential" not in doc
    _valid(catalog)


@pytest.mark.usefixtures("terminal")
def test_a_platform_answer_refuses_a_credential_flag_before_the_next_question(
    catalog: Path,
) -> None:
    before = _tree(catalog)
    result = _new(catalog, "model", "--credential", "prod-openai", stdin="platform\n")
    assert result.exit_code == 1
    assert "platform models are served through the settings' platform_credential" in (result.output)
    assert "Upstream vendor" not in result.output  # refused right after the deployment
    assert _tree(catalog) == before


# --- cancelling at a question ---------------------------------------------------------------


class _InterruptAfter(io.BytesIO):
    """Terminal input: these answers, then Ctrl-C at the next question."""

    def _or_interrupt(self, data: bytes, size: int | None) -> bytes:
        if not data and size != 0:  # click probes the stream with read(0)
            raise KeyboardInterrupt
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._or_interrupt(super().read(size), size)

    def read1(self, size: int = -1) -> bytes:
        return self._or_interrupt(super().read1(size), size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._or_interrupt(super().readline(size), size)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize(("interrupt", "code"), [(False, 1), (True, 130)], ids=["ctrl-d", "ctrl-c"])
@pytest.mark.parametrize(
    ("kind", "answered"),
    [
        ("model", "custom\nopenai\ngpt-4o-2024-05-13\n\n"),  # stops at the credential
        ("credential", "openai\nprod-other\n\n"),  # stops at the gateway URL
        ("credential", ""),  # stops at the first question
    ],
)
def test_ctrl_c_and_ctrl_d_at_a_question_cancel_and_write_nothing(
    catalog: Path, kind: str, answered: str, interrupt: bool, code: int, debug: bool
) -> None:
    # Ctrl-D: the input ends; Ctrl-C: reading the next answer is interrupted
    before = _tree(catalog)
    stdin = _InterruptAfter(answered.encode()) if interrupt else answered
    args = ["--debug"] if debug else []
    result = CliRunner().invoke(
        cli.main,
        [*args, "new", kind, "--catalog", str(catalog)],
        input=stdin,
        catch_exceptions=False,
    )
    assert result.exit_code == code, result.output
    assert f"New {kind} cancelled; nothing was written." in result.stdout
    assert "internal error" not in result.output
    assert "Aborted" not in result.output
    assert "Traceback" not in result.output
    assert _tree(catalog) == before


def _on_a_terminal(args: list[str], answers: list[tuple[str, bytes]]) -> tuple[int, str]:
    """Run the CLI in a pseudo-terminal, typing each answer once its question's text has
    appeared; the exit code and everything it printed."""
    import pty
    import signal

    pid, fd = pty.fork()
    if pid == 0:  # the child: the real CLI, its stdin and stdout the terminal
        # a test runner's worker may ignore SIGINT, and exec would keep it ignored
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.execv(sys.executable, [sys.executable, "-m", "reconciler", *args])  # noqa: S606
        finally:
            os._exit(127)  # never back into the test runner
    seen = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    last: tuple[bytes, float] | None = None  # the last answer typed, and when
    try:
        while time.monotonic() < deadline:
            if pending and pending[0][0].encode() in seen.rsplit(b"\n", 1)[-1]:
                key = pending.pop(0)[1]
                os.write(fd, key)
                last = (key, time.monotonic())
            elif last and last[0] == b"\x03" and time.monotonic() - last[1] > 2:
                # a Ctrl-C that lands after the prompt is printed but before the read starts
                # is taken and forgotten by the interpreter (its read then waits): a person
                # presses it again, and so does this
                os.write(fd, b"\x03")
                last = (b"\x03", time.monotonic())
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


@pytest.mark.parametrize(("key", "code"), [(b"\x03", 130), (b"\x04", 1)], ids=["ctrl-c", "ctrl-d"])
def test_a_real_terminal_cancels_at_the_question(catalog: Path, key: bytes, code: int) -> None:
    before = _tree(catalog)
    answers = [
        ("Deployment", b"custom\r"),
        ("Provider", b"openai\r"),
        ("Model ID", b"gpt-4o-2024-05-13\r"),
        ("Display name", b"\r"),
        ("Credential", key),
    ]
    code_seen, output = _on_a_terminal(["new", "model", "--catalog", str(catalog)], answers)
    assert code_seen == code, output
    assert "New model cancelled; nothing was written." in output
    assert "Aborted" not in output
    assert "internal error" not in output
    assert _tree(catalog) == before


# --- the core install -------------------------------------------------------------------------


def test_new_model_without_the_litellm_extra_says_what_to_install(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(extras.EXTRAS, "litellm", ("litellm", "no_such_module_for_test"))
    before = _tree(catalog)
    result = CliRunner().invoke(
        cli.main,
        ["new", "model", "--catalog", str(catalog), "--provider", "openai", "--model-id", "gpt-4o"],
        catch_exceptions=False,  # a leaked MissingExtraError fails here
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "error: new model needs no_such_module_for_test, which the core install leaves out\n"
        "  hint: pip install 'llm-registry-reconciler[litellm]'\n"
    )
    assert _tree(catalog) == before


# --- the credential ---------------------------------------------------------------------------


def _model(catalog: Path, slug: str) -> dict[str, Any]:
    doc = yaml.safe_load((catalog / "models" / "custom" / f"{slug}.yaml").read_text())
    assert isinstance(doc, dict)
    return doc


def test_the_providers_only_credential_is_the_default_off_a_terminal(catalog: Path) -> None:
    args = ["model", "--provider", "openai", "--model-id", "gpt-4o-2024-05-13"]
    result = _new(catalog, *args, "--display-name", "May")
    assert result.exit_code == 0, result.output
    assert _model(catalog, "may")["credential"] == "prod-openai"
    assert "no credential" not in result.output
    _valid(catalog)


def test_a_model_without_a_credential_names_the_variable_it_uses(catalog: Path) -> None:
    # '-': no credential although the catalog has one
    args = ["model", "--provider", "openai", "--model-id", "gpt-4o-2024-05-13"]
    result = _new(catalog, *args, "--display-name", "May", "--credential", "-")
    assert result.exit_code == 0, result.output
    assert "credential" not in _model(catalog, "may")
    assert (
        "no credential: at runtime the model uses the provider's environment variable "
        "OPENAI_API_KEY\n"
    ) in result.stdout
    # a provider without credentials in the catalog: nothing to choose, nothing asked
    args = ["model", "--provider", "google", "--model-id", "gemini-test", "--context-window", "9"]
    result = _new(catalog, *args)
    assert result.exit_code == 0, result.output
    assert "credential" not in _model(catalog, "gemini-test")
    assert "environment variable GEMINI_API_KEY or GOOGLE_API_KEY\n" in result.stdout
    _valid(catalog)


def test_several_credentials_of_the_provider_leave_the_choice_to_the_user(catalog: Path) -> None:
    (catalog / "credentials" / "team-openai.yaml").write_text(
        "kind: ProviderCredential\nname: team-openai\nprovider: openai\n"
        "api_key: {env: TEAM_OPENAI_KEY}\n"
    )
    args = ["model", "--provider", "openai", "--model-id", "gpt-4o-2024-05-13"]
    result = _new(catalog, *args, "--display-name", "May")
    assert result.exit_code == 0, result.output
    assert "credential" not in _model(catalog, "may")
    assert "environment variable OPENAI_API_KEY" in result.stdout


@pytest.mark.usefixtures("terminal")
def test_the_credential_question_shows_choices_and_default_apart(catalog: Path) -> None:
    # deployment, provider, model ID, display name, credential (Enter: the default), category
    answers = "custom\nopenai\ngpt-4o-2024-05-13\nMay\n\n\n"
    result = _new(catalog, "model", stdin=answers)
    assert result.exit_code == 0, result.output
    assert (
        "Credential (prod-openai; '-': none, the key comes from OPENAI_API_KEY at runtime) "
        "[prod-openai]: "
    ) in result.output
    assert "Category (premium, standard, budget; blank: none): " in result.output
    assert _model(catalog, "may")["credential"] == "prod-openai"
    assert "category" not in _model(catalog, "may")


@pytest.mark.usefixtures("terminal")
def test_an_answer_outside_the_choices_is_asked_again_and_dash_means_none(
    catalog: Path,
) -> None:
    answers = "custom\nopenai\ngpt-4o-2024-05-13\nMay\nnope\n-\ncheap\nbudget\n"
    result = _new(catalog, "model", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "'nope' is not one of prod-openai" in result.output
    assert "'cheap' is not one of premium, standard, budget" in result.output
    doc = _model(catalog, "may")
    assert "credential" not in doc
    assert doc["category"] == "budget"
    assert "environment variable OPENAI_API_KEY" in result.stdout


@pytest.mark.usefixtures("terminal")
def test_the_secret_question_names_its_choices_once(catalog: Path) -> None:
    # provider, name, display name, gateway (blank), where (Enter: env), variable (default)
    result = _new(catalog, "credential", stdin="openai\nteam-openai\n\n\n\n\n")
    assert result.exit_code == 0, result.output
    assert "Where the secret is (env, sops, aws) [env]: " in result.output
    assert result.output.count("env, sops") == 1
    assert "Gateway or proxy URL (blank: the public API): " in result.output
    doc = yaml.safe_load((catalog / "credentials" / "team-openai.yaml").read_text())
    assert doc["api_key"] == {"env": "TEAM_OPENAI_API_KEY"}
    assert "base_url" not in doc


@pytest.mark.usefixtures("terminal")
def test_an_optional_secret_left_blank_is_none(catalog: Path) -> None:
    # openai_compatible: a key is optional, so a blank "where" means none (not env)
    answers = "openai_compatible\nlocal\n\nhttp://127.0.0.1:8000/v1\n\n"
    result = _new(catalog, "credential", stdin=answers)
    assert result.exit_code == 0, result.output
    assert "Where the secret is (env, sops, aws; blank: none): " in result.output
    doc = yaml.safe_load((catalog / "credentials" / "local.yaml").read_text())
    assert "api_key" not in doc
    _valid(catalog)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--sops-file", "secrets/prod.enc.yaml", "--sops-key", "openai.key", "--env", "X"),
            "--env, --sops-file, --sops-key name more than one place for the secret",
        ),
        (
            ("--aws-secret-id", "prod/x", "--env", "Y"),
            "--env, --aws-secret-id name more than one place for the secret",
        ),
        (("--region", "us-east-1", "--env", "X"), "--region does not apply to a credential of"),
        (
            ("--aws-json-key", "k"),
            "--aws-json-key (without --aws-secret-id) does not apply to a credential of",
        ),
    ],
)
def test_new_credential_refuses_flags_it_would_drop(
    catalog: Path, args: tuple[str, ...], says: str
) -> None:
    # the reference written would silently be another one than the flags named
    before = _tree(catalog)
    result = _new(catalog, "credential", "--provider", "openai", "--name", "o3", *args)
    assert result.exit_code == 1, result.output
    assert says in result.output
    assert _tree(catalog) == before
