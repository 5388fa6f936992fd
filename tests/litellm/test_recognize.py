"""Which files are LiteLLM configs, and what of a config may be shown: every shape a wrong file
can have, and a canary secret written into a config in every YAML form a hand edit can take."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from engine_helpers import model_doc, write_catalog

from reconciler.litellm import recognize as recognize_module
from reconciler.litellm.recognize import (
    SECRET_KEYS,
    Config,
    Hidden,
    NotAConfig,
    Shape,
    not_a_config,
    recognize,
)
from reconciler.pipeline import load
from reconciler.providers.table import PROVIDERS
from reconciler.render.litellm_config import render_litellm_config
from reconciler.secrets.handoff import dotenv_text, kubernetes_text

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "render" / "golden"
CANARY = "sk-CANARY-recognize-0123456789"
CONFIG_HEAD = "model_list:\n- model_name: a\n  litellm_params:\n    model: openai/a\n"


def _text(found: Config | NotAConfig) -> str:
    assert isinstance(found, Config), found
    return "".join(p if isinstance(p, str) else f"<{p.value}>" for p in found.shown)


@pytest.mark.parametrize(
    ("data", "shape"),
    [
        (b"\xff\xfe" + CANARY.encode(), Shape.NOT_TEXT),
        (dotenv_text({"OPENAI_API_KEY": CANARY}).encode(), Shape.DOTENV),
        (f"# rendered\nexport A={CANARY}\nB = x\n".encode(), Shape.DOTENV),
        (kubernetes_text({"OPENAI_API_KEY": CANARY}).encode(), Shape.KUBERNETES),
        (f"api_key: ENC[AES256_GCM,data:{CANARY}]\nsops:\n  age: []\n".encode(), Shape.SOPS),
        (f"{CONFIG_HEAD}sops: {{mac: {CANARY}}}\n".encode(), Shape.SOPS),  # an encrypted config
        (
            f"kind: ProviderCredential\nname: c\nprovider: openai\napi_key: {CANARY}\n".encode(),
            Shape.CATALOG,
        ),
        (f'{{"type": "service_account", "private_key": "{CANARY}"}}'.encode(), Shape.NO_MODEL_LIST),
        (f"model_list: {CANARY}\n".encode(), Shape.NO_MODEL_LIST),
        (f"model_list: [{CANARY}]\n".encode(), Shape.NO_MODEL_LIST),
        (f"{CANARY}\n".encode(), Shape.NOT_MAPPING),
        (f"# OPENAI_API_KEY={CANARY}\n".encode(), Shape.NOT_MAPPING),  # only a comment
        (f"- {CANARY}\n".encode(), Shape.NOT_MAPPING),
        (f"{CONFIG_HEAD}---\n{CANARY}: 1\n".encode(), Shape.NOT_YAML),  # two documents
        (b"[" * 20000, Shape.NOT_YAML),  # deeper than Python's stack
        (f"a: *{CANARY}\n".encode(), Shape.NOT_YAML),  # PyYAML's message would quote it
        (f"a: 1\n\tb: {CANARY}\n".encode(), Shape.NOT_YAML),
        (f"a: 1\x07{CANARY}\n".encode(), Shape.NOT_YAML),  # a control character
    ],
)
def test_a_file_that_is_no_config_is_known_by_its_shape_only(data: bytes, shape: Shape) -> None:
    found = recognize(data)
    assert isinstance(found, NotAConfig)
    assert found.shape is shape
    assert CANARY not in repr(found)


def test_where_yaml_reading_stopped_is_a_line_and_column() -> None:
    assert recognize(b"a: 1\nb: [x\n") == NotAConfig(Shape.NOT_YAML, 3, 1)


@pytest.mark.parametrize("name", ["litellm-config", "litellm-config-production"])
def test_a_rendered_config_is_shown_as_it_is(name: str) -> None:
    text = (GOLDEN / f"{name}.yaml").read_text()
    assert _text(recognize(text.encode(), text)) == text
    # without the rendering to compare, its header is a comment like any other
    assert _text(recognize(text.encode())).startswith("<comment>\n<comment>\nmodel_list:\n")


def test_blank_files_count_as_configs_with_nothing_to_hide() -> None:
    assert recognize(b"") == Config(())
    assert recognize(b"\n \n") == Config(("\n \n",))


def _every_provider(tmp_path: Path) -> str:
    credentials: list[dict[str, Any]] = []
    models = []
    for provider in PROVIDERS:
        cred: dict[str, Any] = {
            "kind": "ProviderCredential",
            "name": f"c-{provider}".replace("_", "-"),
            "provider": provider,
        }
        if provider == "bedrock":
            cred |= {
                "region": "eu-west-1",
                "endpoint_url": "https://vpce.example",
                "access_key_id": {"env": "AWS_ID"},
                "secret_access_key": {"aws_secretsmanager": {"secret_id": "litellm/aws"}},
            }
        elif provider == "huggingface":
            cred |= {"endpoint_url": "https://hf.example", "api_key": {"env": "HF"}}
        elif provider == "openai_compatible":
            cred |= {"base_url": "https://llm.example/v1"}  # no key: the placeholder
        else:
            cred |= {"base_url": "https://gw.example", "api_key": {"env": f"K_{provider}"}}
        credentials.append(cred)
        models.append(
            model_doc(
                provider.replace("_", "-"),
                provider=provider,
                credential=cred["name"],
                cost={"input_per_token": 1e-6, "output_per_token": 2e-6},
                max_output_tokens=10,
            )
        )
    root = write_catalog(tmp_path / "cat", models, credentials, default_model="openai")
    return render_litellm_config(load(root).desired)


def test_nothing_the_renderer_writes_is_hidden_for_any_provider(tmp_path: Path) -> None:
    text = _every_provider(tmp_path)
    assert "aws_secret_access_key: os.environ/" in text
    assert "api_key: no-key" in text
    assert _text(recognize(text.encode(), text)) == text
    routes = {k for p in PROVIDERS.values() for k in p.route.secrets.values()}
    assert routes <= SECRET_KEYS


HAND_EDITS = [
    "    api_key: {c}\n",
    "    api_key: '{c}'\n",
    '    api_key: "{c}"\n',
    '    api_key: "os.environ/X\\n{c}"\n',  # a reference with more after it
    "    api_key: |\n      {c}\n      {c}\n",
    "    api_key: >-\n      {c}\n",
    "    api_key:\n      - {c}\n",
    "    api_key: {{value: {c}}}\n",
    "    api_key: !!binary c2stQ0FOQVJZ\n    aws_secret_access_key: !custom {c}\n",
    "    aws_access_key_id: {c}\n",
    "    vertex_credentials: {{private_key: {c}}}\n",
    "    my_provider_token: {c}\n",  # secret by its name
    "    Api-Key: {c}\n",
    "    api_base: https://user:{c}@gw.example/v1\n",  # a credential in a URL
    "    slack_webhook_url: https://hooks.slack.com/services/T000/B000/{c}\n",  # lets anyone post
    "    sentry_dsn: https://o0.ingest.sentry.io/{c}\n",
    "    api_base: https://gw.example/v1?key={c}\n",
    "    extra: &k {c}\n    api_key: *k\n",  # the anchor is hidden where it is defined
    "    extra: &k [{{api_key: *k}}, {c}]\n",  # an alias to the node it is in
    "    model: openai/a # {c}\n",  # a trailing comment
    "# api_key: {c}\n",  # a full-line comment
    "    description: 'ok' #{c}\n",
]


@pytest.mark.parametrize("parser", ["libyaml", "python"])
@pytest.mark.parametrize("edit", HAND_EDITS)
def test_a_secret_in_a_hand_edited_config_is_hidden(
    edit: str, parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if parser == "python":  # as where PyYAML is built without libyaml
        monkeypatch.setattr(recognize_module, "_LOADER", yaml.SafeLoader)
    text = CONFIG_HEAD + edit.format(c=CANARY) + "general_settings:\n  master_key: sk-x\n"
    found = recognize(text.encode(), text.replace(CANARY, "x"))
    shown = _text(found)
    assert CANARY not in shown
    assert "CANARY" not in shown
    assert "master_key: <secret>" in shown
    assert shown.startswith(CONFIG_HEAD)
    assert isinstance(found, Config)
    assert any(isinstance(p, Hidden) for p in found.shown[:-2])


def test_what_is_no_secret_stays_visible() -> None:
    text = (
        CONFIG_HEAD + "    api_key: os.environ/OPENAI_API_KEY\n"
        "    input_cost_per_token: 1.0e-06\n"
        "    session_token: null\n"
        "    api_base: https://gw.example/v1?region=eu\n"
        "    description: 'a # in a value'\n"
        "  model_info: {max_tokens: 3}\n"
    )
    assert _text(recognize(text.encode())) == text


def test_litellm_alerting_and_callback_secrets_are_hidden() -> None:
    # as LiteLLM's proxy docs write them: webhooks per alert type and in the environment,
    # callback credentials, the enterprise licence; the alerting thresholds are no secret
    hook = f"https://hooks.slack.com/services/T000/B000/{CANARY}"
    text = CONFIG_HEAD + (
        "general_settings:\n"
        "  alerting: [slack]\n"
        "  alerting_threshold: 300\n"
        "  alerting_args: {daily_report_frequency: 43200, budget_alert_ttl: 86400}\n"
        f"  alert_to_webhook_url:\n    llm_exceptions: {hook}\n    budget_alerts: [{hook}]\n"
        f"  alerting_webhook_url: {hook}\n"
        "litellm_settings:\n"
        "  success_callback: [langfuse]\n"
        f"  callback_settings: {{langfuse: {{langfuse_secret: {CANARY}, langfuse_host: h}}}}\n"
        "environment_variables:\n"
        f"  SLACK_WEBHOOK_URL: '{hook}'\n"
        f"  MICROSOFT_TEAMS_WEBHOOK_URL: {hook}\n"
        f"  LANGFUSE_SECRET_KEY: {CANARY}\n"
        f"  DD_API_KEY: {CANARY}\n"
        f"  SENTRY_DSN: {CANARY}\n"
        f"  LITELLM_LICENSE: {CANARY}\n"
        f"  AZURE_STORAGE_CONNECTION_STRING: {CANARY}\n"
        f"  GENERIC_LOGGER_TOKEN: {CANARY}\n"
        "  SLACK_DAILY_REPORT_FREQUENCY: '86400'\n"
    )
    shown = _text(recognize(text.encode()))
    assert "CANARY" not in shown
    assert "hooks.slack.com" not in shown
    assert "  alert_to_webhook_url:\n    <secret>\n  alerting_webhook_url: <secret>\n" in shown
    assert "  SLACK_WEBHOOK_URL: <secret>\n" in shown
    assert "{langfuse_secret: <secret>, langfuse_host: h}" in shown
    assert "alerting_args: {daily_report_frequency: 43200, budget_alert_ttl: 86400}" in shown
    assert "  SLACK_DAILY_REPORT_FREQUENCY: '86400'\n" in shown
    assert "  success_callback: [langfuse]\n" in shown


def test_a_hidden_block_keeps_the_lines_after_it() -> None:
    text = CONFIG_HEAD + "    api_key: |\n      one\n      two\n\n    rpm: 3\n"
    assert _text(recognize(text.encode())) == CONFIG_HEAD + "    api_key: <secret>\n\n    rpm: 3\n"


def test_a_document_that_refers_to_itself_is_walked_once() -> None:
    text = CONFIG_HEAD + "    x: &a [*a, {api_key: sk-1}]\n"
    assert _text(recognize(text.encode())) == text.replace("sk-1", "<secret>")


def test_a_key_that_is_a_collection_names_no_secret_after_it() -> None:
    text = CONFIG_HEAD + "    api_key: sk-1\n    ? [a, b]\n    : shown\n    rpm: 3\n"
    assert _text(recognize(text.encode())) == text.replace("sk-1", "<secret>")


def test_not_a_config_tells_the_shape_only() -> None:
    assert not_a_config(b"A=1\n") == NotAConfig(Shape.DOTENV)
    assert not_a_config(CONFIG_HEAD.encode()) is None
    assert not_a_config(b"") is None
