"""The GitHub workflows in .github/workflows and the composite action (action.yml) they use:
valid YAML with the structure docs/ci.md describes, clean under actionlint and zizmor, and
shell steps that treat the reconciler's exit codes right (0 and 2 success, anything else
failure). Each action step that calls ``reconciler`` is run the way GitHub runs it
(``bash --noprofile --norc -eo pipefail``) with the action's input defaults, and a stub
``reconciler`` on PATH that exits with a chosen code; the PR comment script runs under node with
a fake GitHub client when node is installed. No network, no database.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from workflow_linters import actionlint, summary, zizmor

from reconciler.plan.model import Action, Change, Kind, Plan
from reconciler.render.plan_markdown import marker, render_markdown_parts

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
ACTION = "action.yml"  # at the repository root: `uses: <owner>/llm-registry-reconciler@<ref>`
FILES = ("pr.yml", "catalog-review.yml", "apply.yml", "drift.yml", "ci.yml", "latest-deps.yml")
CALLS_PLAN_OR_DRIFT = re.compile(r"\breconciler\s+(plan|drift)\b")
CALLS_RECONCILER = re.compile(r"^\s*reconciler\s", re.MULTILINE)
INPUT = re.compile(r"^\$\{\{ inputs\.([\w-]+) \}\}$")
# What GitHub runs a step with: `shell: bash`, or bash -e without pipefail when none is given.
SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
    None: ["bash", "-e"],
}
# The stub's text output holds a code fence, so a report fenced with ``` would end early.
STUB = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$STUB_LOG"
cmd=$1
case "$cmd" in
  plan) code=${STUB_PLAN_EXIT:-0} ;;
  drift) code=${STUB_DRIFT_EXIT:-0} ;;
  apply) code=${STUB_APPLY_EXIT:-0} ;;
  litellm-config) code=${STUB_LITELLM_EXIT:-0} ;;
  *) code=0 ;;
esac
format=text
out=
while [ $# -gt 0 ]; do
  case $1 in
    --format) format=$2; shift ;;
    --out) out=$2; shift ;;
    --split-dir) split=$2; shift ;;
  esac
  shift
done
changes=${STUB_CHANGES:-[]}
plan="{\"summary\": {}, \"changes\": $changes, \"errors\": [], \"guards\": ${STUB_GUARDS:-[]}}"
case "$cmd:$format" in
  plan:json) echo "$plan" ;;
  plan:markdown) printf '<!-- reconciler-plan -->\n## Reconciler plan\n\nstub plan\n' ;;
  *) printf 'stub %s output\n```\nnot a fence of ours\n```\nexit %s' "$cmd" "$code" ;;
esac
if [ -n "${split:-}" ] && [ "$cmd" = plan ]; then  # the comments, as many as STUB_PARTS
  mkdir -p "$split"
  for n in $(seq 1 "${STUB_PARTS:-1}"); do
    marker='<!-- reconciler-plan -->'
    if [ "$n" -gt 1 ]; then marker="<!-- reconciler-plan part=$n -->"; fi
    printf '%s\n## Reconciler plan\n\nstub part %s\n' "$marker" "$n" > "$split/part-$n.md"
  done
fi
echo "stub note on stderr" >&2
if [ -n "$out" ] && [ "$cmd" = plan ] && { [ "$code" = 0 ] || [ "$code" = 2 ]; }; then
  echo "{\"kind\": \"reconciler-plan\", \"plan\": $plan}" > "$out"
fi
exit "$code"
"""
GUARD = '[{"name": "breaking", "message": "m", "flag": "--allow-breaking", "allowed": false}]'


@functools.cache
def _load(name: str) -> dict[Any, Any]:
    """The parsed workflow or action (cached: callers must not change it)."""
    path = REPO / ACTION if name == ACTION else WORKFLOWS / name
    doc = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(doc, dict), f"{name} is not a YAML mapping"
    return doc


def _steps(name: str) -> list[dict[str, Any]]:
    if name == ACTION:
        steps: list[dict[str, Any]] = _load(name)["runs"]["steps"]
        return steps
    return [step for job in _load(name)["jobs"].values() for step in job.get("steps", [])]


def _step(name: str, step_id: str) -> dict[str, Any]:
    found = [step for step in _steps(name) if step.get("id") == step_id]
    assert len(found) == 1, f"{name}: no single step with id {step_id}"
    return found[0]


def _shell(name: str, step: dict[str, Any]) -> str | None:
    default = (_load(name).get("defaults") or {}).get("run", {}).get("shell")
    if name == ACTION:
        assert "shell" in step, f"action.yml: step {step.get('name')!r} has no shell"
    shell: str | None = step.get("shell", default)
    assert shell in SHELLS, f"{name}: step {step.get('name')!r} runs under {shell!r}"
    return shell


def _triggers(name: str) -> dict[str, Any]:
    doc = _load(name)
    on = doc.get(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    if isinstance(on, list):  # on: [push, pull_request]
        on = dict.fromkeys(on)
    assert isinstance(on, dict), f"{name}: no `on:` mapping"
    return on


@dataclass
class Run:
    code: int
    log: str
    summary: str
    outputs: dict[str, str]
    calls: list[str]
    cwd: Path


def _step_env(name: str, step: dict[str, Any]) -> dict[str, str]:
    """The step's `env:` as GitHub would fill it when the caller gives no inputs: an action
    input's default; "" for secrets, contexts and other steps' outputs."""
    inputs = _load(ACTION)["inputs"] if name == ACTION else {}
    env = {}
    for key, value in (step.get("env") or {}).items():
        match = INPUT.match(str(value))
        env[key] = str(inputs[match[1]].get("default", "")) if match and inputs else ""
    return env


def _run(
    tmp_path: Path,
    name: str,
    step: dict[str, Any],
    env: dict[str, str] | None = None,
    prepare: Callable[[Path], None] | None = None,
) -> Run:
    """Run a step's script as GitHub would, with a stub reconciler, in a fresh directory
    (``prepare`` fills it first, as a checkout would)."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        stub = bin_dir / "reconciler"
        stub.write_text(STUB, "utf-8")
        stub.chmod(0o755)
        # the steps' Python is stdlib only: -S skips site-packages, and half the start-up time
        python = bin_dir / "python3"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n', "utf-8")
        python.chmod(0o755)
    work = tmp_path / f"run{len(list(tmp_path.glob('run*')))}"
    work.mkdir()
    if prepare is not None:
        prepare(work)
    script = work / "step.sh"
    script.write_text(step["run"], "utf-8")
    files = {key: work / f"{key.lower()}.txt" for key in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
    for path in files.values():
        path.touch()
    full = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "STUB_LOG": str(work / "calls.txt"),
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_WORKFLOW": "catalog apply",
        # the step's own variables: the secrets and inputs hold ${{ }} expressions there
        **_step_env(name, step),
        "REGISTRY_DATABASE_URL": "postgresql+psycopg://reader@db.example/registry",
        **{key: str(path) for key, path in files.items()},
        **(env or {}),
    }
    done = subprocess.run(
        [*SHELLS[_shell(name, step)], str(script)],
        cwd=work,
        env=full,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    outputs = dict(
        line.split("=", 1)
        for line in files["GITHUB_OUTPUT"].read_text("utf-8").splitlines()
        if "=" in line
    )
    calls_file = work / "calls.txt"
    calls = calls_file.read_text("utf-8").splitlines() if calls_file.exists() else []
    summary = files["GITHUB_STEP_SUMMARY"].read_text("utf-8")
    return Run(done.returncode, done.stdout + done.stderr, summary, outputs, calls, work)


def _fences_closed(summary: str) -> bool:
    """Every code block the summary opens is closed by the same fence on its own line."""
    opened: str | None = None
    for line in summary.splitlines():
        if opened is None and re.fullmatch(r"`{3,}\w*", line):
            opened = line.rstrip("abcdefghijklmnopqrstuvwxyz")
        elif opened is not None and line == opened:
            opened = None
    return opened is None


def _reconciler_steps() -> list[tuple[str, str]]:
    return [
        (name, step.get("id", ""))
        for name in (*FILES, ACTION)
        for step in _steps(name)
        if CALLS_PLAN_OR_DRIFT.search(step.get("run", ""))
    ]


def _uses_action(name: str, command: str) -> dict[str, Any]:
    """The one step of a workflow that runs this repository's action with this command."""
    found = [
        step
        for step in _steps(name)
        if step.get("uses") in ("./", "./.reconciler-action")
        and step.get("with", {}).get("command") == command
    ]
    assert len(found) == 1, f"{name}: no single step runs the action with command {command}"
    return found[0]


# --- structure -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_workflow_is_valid_yaml_with_jobs_and_steps(name: str) -> None:
    doc = _load(name)
    assert doc.get("name")
    assert _triggers(name)
    assert doc["jobs"]
    for job in doc["jobs"].values():
        if "uses" in job:  # a call of a reusable workflow
            assert "steps" not in job
            continue
        assert job["runs-on"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step


def test_action_is_a_composite_with_shell_steps() -> None:
    doc = _load(ACTION)
    assert doc["runs"]["using"] == "composite"
    assert doc["inputs"]["command"]["required"] is True
    assert {"catalog", "environment", "database-url", "flags"} <= set(doc["inputs"])
    assert {"exit-code", "plan-path"} <= set(doc["outputs"])
    for step in _steps(ACTION):
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")


@pytest.mark.parametrize("name", [*FILES, ACTION])
def test_scripts_take_values_from_env_not_expressions(name: str) -> None:
    """`${{ }}` pasted into a script is a quoting and injection hazard (label names, inputs):
    values reach scripts through `env:`. Secrets sit on the steps that need them, not on jobs."""
    for step in _steps(name):
        assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')!r}"
    doc = _load(name)
    for scope in [doc, *(doc.get("jobs") or {}).values()]:
        assert "secrets." not in json.dumps(scope.get("env") or {})


@pytest.mark.parametrize("name", FILES)
def test_workflows_are_least_privilege(name: str) -> None:
    """Every workflow sets `permissions:` (empty or read-only at the top), each job that needs
    more asks for it, and checkout never leaves the token in .git/config."""
    doc = _load(name)
    assert "permissions" in doc, name
    assert doc["permissions"] in ({}, {"contents": "read"}), name
    for job in doc["jobs"].values():
        granted = job.get("permissions", doc["permissions"])
        assert granted.get("contents") in (None, "read"), name
    for step in _steps(name):
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, name
        if "@" in uses:  # pinned to a commit, the tag in a comment (verified against the tag)
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), uses


def test_action_pins_what_it_uses_to_commits() -> None:
    for step in _steps(ACTION):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_every_plan_and_drift_call_is_covered() -> None:
    assert sorted(_reconciler_steps()) == [
        (ACTION, "apply"),
        (ACTION, "drift"),
        (ACTION, "plan"),
    ]


def test_this_repository_dogfoods_the_action() -> None:
    review = _load("pr.yml")["jobs"]["review"]
    assert review["uses"] == "./.github/workflows/catalog-review.yml"
    assert review["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "workflow_call" in _triggers("catalog-review.yml")
    for command in ("validate", "lint", "plan"):
        _uses_action("catalog-review.yml", command)
    assert _uses_action("apply.yml", "apply")["uses"] == "./"
    assert _uses_action("drift.yml", "drift")["uses"] == "./"


def test_aws_is_reached_through_oidc_not_stored_keys() -> None:
    for name, job_id in (("apply.yml", "apply"), ("drift.yml", "drift")):
        job = _load(name)["jobs"][job_id]
        assert job["permissions"]["id-token"] == "write"
        [aws] = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        assert "role-to-assume" in aws["with"]
        assert "AWS_SECRET_ACCESS_KEY" not in json.dumps(_load(name))
    env = _uses_action("apply.yml", "apply")["env"]
    assert env["SOPS_AGE_KEY"] == "${{ secrets.SOPS_AGE_KEY }}"


def test_pr_runs_one_at_a_time_per_pull_request() -> None:
    concurrency = _load("pr.yml")["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True
    types = _triggers("pr.yml")["pull_request"]["types"]
    assert {"opened", "synchronize", "reopened", "labeled", "unlabeled"} <= set(types)


def test_pr_comment_step_runs_on_failure_only_for_its_own_repository() -> None:
    [step] = [s for s in _steps(ACTION) if "github-script" in s.get("uses", "")]
    condition = step["if"]
    assert "failure()" in condition
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "inputs.validate-outcome == 'failure'" in condition
    assert "github-actions[bot]" in step["with"]["script"]
    # the review plans after a failed validate too, so that the comment can say so
    plan = _uses_action("catalog-review.yml", "plan")
    assert "steps.validate.outcome == 'failure'" in plan["if"]
    assert plan["with"]["validate-outcome"] == "${{ steps.validate.outcome }}"


# matrix jobs of one run upload side by side: one artifact per environment
PER_ENVIRONMENT = "${{ inputs.environment != '' && format('-{0}', inputs.environment) || '' }}"


def test_plans_are_uploaded_as_artifacts() -> None:
    uploads = [s for s in _steps(ACTION) if s.get("uses", "").startswith("actions/upload-artifact")]
    assert [(s["with"]["name"], s["with"]["path"]) for s in uploads] == [
        (f"reconciler-plan{PER_ENVIRONMENT}", "plan/"),
        (f"reconciler-apply{PER_ENVIRONMENT}", "plan/"),
    ]


def test_apply_runs_on_merge_and_by_hand_with_the_guard_inputs() -> None:
    on = _triggers("apply.yml")
    assert on["push"]["branches"] == ["main"]
    inputs = on["workflow_dispatch"]["inputs"]
    for key in ("adopt", "allow_breaking", "allow_mass_removal"):
        assert inputs[key]["type"] == "boolean"
        assert inputs[key]["default"] is False
    with_ = _uses_action("apply.yml", "apply")["with"]
    assert with_["allow-breaking"] == "${{ inputs.allow_breaking == true }}"
    assert _step(ACTION, "apply")["env"]["ALLOW_BREAKING"] == "${{ inputs.allow-breaking }}"
    assert _load("apply.yml")["concurrency"]["cancel-in-progress"] is False


# --- linters ---------------------------------------------------------------------------------


def test_actionlint_finds_nothing() -> None:
    done = actionlint(cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_more() -> None:
    assert summary(zizmor(WORKFLOWS, REPO / ACTION)) == []


def test_zizmor_does_find_an_unpinned_action(tmp_path: Path) -> None:
    """The check above can fail: a workflow that pastes an input into a script is caught."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: {workflow_dispatch: {inputs: {x: {type: string}}}}\n"
        "permissions: {}\n"
        "jobs: {j: {runs-on: ubuntu-latest, steps: [{run: 'echo ${{ inputs.x }}'}]}}\n",
        "utf-8",
    )
    assert {f["ident"] for f in zizmor(bad)} >= {"template-injection"}


# --- the action's install ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "extras", "spec"),
    [
        ("validate", "auto", ""),
        ("plan", "auto", ""),
        ("drift", "auto", ""),
        ("lint", "auto", "[litellm]"),
        ("apply", "auto", "[all]"),
        ("plan", "aws", "[aws]"),
        ("apply", "none", ""),
    ],
)
def test_the_install_takes_the_extras_the_command_needs(
    tmp_path: Path, command: str, extras: str, spec: str
) -> None:
    step = _step(ACTION, "install-key")
    env = {
        "COMMAND": command,
        "EXTRAS": extras,
        "GITHUB_ACTION_PATH": str(REPO),
        "RUNNER_TEMP": str(tmp_path),
        "RUNNER_OS": "Linux",
    }
    run = _run(tmp_path, ACTION, step, env)
    assert run.code == 0, run.log
    assert run.outputs["spec"] == spec
    assert run.outputs["venv"] == str(tmp_path / "llm-registry-reconciler")
    assert run.outputs["key"].startswith("llm-registry-reconciler-pip-Linux-py3.11-")
    assert "installed" not in run.outputs
    # a second call of the action in the job reuses an install that has its extras
    Path(run.outputs["venv"]).mkdir()
    Path(run.outputs["venv"], "installed").write_text(f"{spec}\n", "utf-8")
    assert _run(tmp_path, ACTION, step, env).outputs["installed"] == "true"


def test_the_install_takes_this_version_with_its_constraints(tmp_path: Path) -> None:
    """The install step's pip call, recorded by a stub pip in a stub venv."""
    [step] = [s for s in _steps(ACTION) if 'pip" install' in s.get("run", "")]
    venv = tmp_path / "venv"
    bin_dir = tmp_path / "bin"  # _run keeps a bin/ that exists: these stubs replace its own
    for folder in (venv / "bin", bin_dir):
        folder.mkdir(parents=True)
    stubs = {
        bin_dir / "python3": "#!/bin/sh\n",  # `python3 -m venv`: the venv is already there
        venv / "bin" / "pip": '#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/pip-args"\n',
        venv / "bin" / "reconciler": "#!/bin/sh\necho reconciler, version 0.1.0\n",
    }
    for path, text in stubs.items():
        path.write_text(text, "utf-8")
        path.chmod(0o755)
    env = {"SPEC": "[litellm]", "VENV": str(venv), "GITHUB_ACTION_PATH": "/actions/reconciler"}
    run = _run(tmp_path, ACTION, step, env)
    assert run.code == 0, run.log
    assert (venv / "bin" / "pip-args").read_text("utf-8").splitlines() == [
        "install",
        "-q",
        "--cache-dir",
        f"{tmp_path}/.cache/pip",  # HOME/.cache/pip: what actions/cache keeps
        "-c",
        "/actions/reconciler/constraints.txt",
        "/actions/reconciler[litellm]",
    ]
    assert (venv / "installed").read_text("utf-8") == "[litellm]\n"
    assert _step(ACTION, "install-key")["run"].count("$GITHUB_ACTION_PATH/constraints.txt") == 1
    [cache] = [s for s in _steps(ACTION) if s.get("uses", "").startswith("actions/cache@")]
    assert cache["with"] == {"path": "~/.cache/pip", "key": "${{ steps.install-key.outputs.key }}"}


def test_the_pip_cache_key_follows_constraints_txt(tmp_path: Path) -> None:
    step = _step(ACTION, "install-key")
    keys = []
    for text in ("a==1\n", "a==2\n"):
        action_path = tmp_path / f"action-{len(keys)}"
        action_path.mkdir()
        (action_path / "constraints.txt").write_text(text, "utf-8")
        env = {"COMMAND": "validate", "GITHUB_ACTION_PATH": str(action_path)}
        env |= {"RUNNER_TEMP": str(tmp_path), "RUNNER_OS": "Linux"}
        keys.append(_run(tmp_path, ACTION, step, env).outputs["key"])
    assert keys[0] != keys[1]


def test_an_unknown_command_fails_with_a_message(tmp_path: Path) -> None:
    env = {"COMMAND": "destroy", "GITHUB_ACTION_PATH": str(REPO), "RUNNER_TEMP": str(tmp_path)}
    run = _run(tmp_path, ACTION, _step(ACTION, "install-key"), env)
    assert run.code == 1
    assert "unknown command 'destroy'" in run.log


# --- exit codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "step_id"), _reconciler_steps())
@pytest.mark.parametrize("code", [0, 2, 1, 3, 70])
def test_exit_codes_0_and_2_succeed_and_others_fail(
    tmp_path: Path, name: str, step_id: str, code: int
) -> None:
    step = _step(name, step_id)
    env = {"STUB_PLAN_EXIT": str(code), "STUB_DRIFT_EXIT": str(code)}
    run = _run(tmp_path, name, step, env)
    assert any(CALLS_PLAN_OR_DRIFT.match(f"reconciler {call}") for call in run.calls)
    if code in (0, 2):
        assert run.code == 0, run.log
    else:
        assert run.code != 0, run.log
    # apply's own code once the plan succeeded (a stub apply exits 0)
    expected = "0" if step_id == "apply" and code in (0, 2) else str(code)
    assert run.outputs["exit-code"] == expected
    assert _fences_closed(run.summary), run.summary


@pytest.mark.parametrize("step_id", ["validate", "lint"])
@pytest.mark.parametrize("code", [0, 1, 70])
def test_validate_and_lint_annotate_and_pass_the_exit_code(
    tmp_path: Path, step_id: str, code: int
) -> None:
    env = {"STUB_PLAN_EXIT": "0", "COMMAND": step_id}
    stub = tmp_path / "bin" / "reconciler"
    run = _run(tmp_path, ACTION, _step(ACTION, step_id), env)
    assert run.calls == [f"{step_id} --catalog catalog --format github"]
    assert run.code == 0
    stub.write_text(f"#!/bin/sh\nexit {code}\n", "utf-8")
    run = _run(tmp_path, ACTION, _step(ACTION, step_id), env)
    assert (run.code, run.outputs["exit-code"]) == (code, str(code))


@pytest.mark.parametrize("step_id", ["validate", "lint", "plan", "apply", "drift"])
@pytest.mark.parametrize("environment", ["", "staging"])
def test_environment_is_passed_only_when_set(
    tmp_path: Path, step_id: str, environment: str
) -> None:
    env = {"ENVIRONMENT": environment, "COMMAND": step_id, "STUB_PLAN_EXIT": "2"}
    run = _run(tmp_path, ACTION, _step(ACTION, step_id), env)
    assert run.code == 0, run.log
    calls = [c for c in run.calls if c != "db upgrade" and not c.startswith("apply ")]
    assert calls
    for call in calls:
        assert ("--environment" in call) == bool(environment), call
        if environment:
            assert "--environment staging" in call


@pytest.mark.parametrize("step_id", ["validate", "lint", "plan", "apply", "drift"])
def test_the_catalog_input_reaches_every_call(tmp_path: Path, step_id: str) -> None:
    env = {"CATALOG": "deploy/my catalog", "COMMAND": step_id, "STUB_PLAN_EXIT": "2"}
    run = _run(tmp_path, ACTION, _step(ACTION, step_id), env)
    assert run.code == 0, run.log
    calls = [c for c in run.calls if c != "db upgrade" and not c.startswith("apply ")]
    assert calls
    assert all("--catalog deploy/my catalog " in f"{call} " for call in calls), calls


def test_the_review_says_when_the_action_is_missing(tmp_path: Path) -> None:
    [step] = [s for s in _steps("catalog-review.yml") if "action.yml" in s.get("run", "")]
    run = _run(tmp_path, "catalog-review.yml", step, {"TOOL_REPOSITORY": ""})
    assert run.code == 1
    assert "call this workflow with tool-repository and tool-ref" in run.log


def test_the_database_url_input_wins_over_the_environment(tmp_path: Path) -> None:
    env = {"REGISTRY_DATABASE_URL": "", "DATABASE_URL_INPUT": "sqlite:///from-input.db"}
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), env)
    assert run.outputs["ran"] == "true", run.log


@pytest.mark.parametrize("code", [0, 2, 1, 70])
def test_drift_report_is_a_closed_code_block(tmp_path: Path, code: int) -> None:
    run = _run(tmp_path, ACTION, _step(ACTION, "drift"), {"STUB_DRIFT_EXIT": str(code)})
    lines = run.summary.splitlines()
    assert lines[0].startswith("### ")
    # the report holds ``` itself: its fence is longer, and closes it after the last line
    assert lines[2] == "````"
    end = lines.index("````", 3)
    assert f"exit {code}" in lines[end - 1]
    # the messages (stderr) in a block of their own
    assert lines[end + 1 :] == ["", "Messages:", "", "```", "stub note on stderr", "```"]
    assert _fences_closed(run.summary)
    assert run.outputs.get("drift") == {0: "false", 2: "true"}.get(code)


def test_apply_and_drift_run_per_environment() -> None:
    """One matrix entry per catalog environment, each with its own GitHub environment."""
    for name, job_name in (("apply.yml", "apply"), ("drift.yml", "drift")):
        jobs = _load(name)["jobs"]
        job = jobs[job_name]
        assert job["needs"] == "environments"
        matrix = job["strategy"]["matrix"]["environment"]
        assert "fromJSON(needs.environments.outputs.names)" in matrix
        assert "matrix.environment" in job["environment"]
        assert _uses_action(name, job_name)["with"]["environment"] == "${{ matrix.environment }}"


def _git(work: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
        cwd=work,
        check=True,
        capture_output=True,
        env={"PATH": os.environ.get("PATH", os.defpath), "HOME": str(work)},
    )


def _pull_request(
    changes: Mapping[str, str | None], *, environments: tuple[str, ...] = ("production", "staging")
) -> Callable[[Path], None]:
    """A checkout of a pull request: a base commit with a catalog (a base model, one overlay
    per environment, a README) and on top of it the pull request's commit, which writes each
    of ``changes`` (None: deletes it). HEAD^1 is the base, as in GitHub's merge commit."""

    def prepare(work: Path) -> None:
        files = {"README.md": "r\n", "catalog/models/m.yaml": "kind: Model\n"}
        files.update({f"catalog/environments/{e}/m.yaml": "kind: Model\n" for e in environments})
        _git(work, "init", "-q")
        for rel, text in files.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text, "utf-8")
        _git(work, "add", "-A")
        _git(work, "commit", "-q", "-m", "base")
        for rel, change in changes.items():
            if change is None:  # a checkout has no empty folders
                (work / rel).unlink()
                if not any((work / rel).parent.iterdir()):
                    (work / rel).parent.rmdir()
            else:
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                (work / rel).write_text(change, "utf-8")
        _git(work, "add", "-A")
        _git(work, "commit", "-q", "--allow-empty", "-m", "pull request")

    return prepare


def _affected(tmp_path: Path, prepare: Callable[[Path], None], **env: str) -> list[str]:
    step = _step("catalog-review.yml", "affected")
    full = {"GITHUB_EVENT_NAME": "pull_request", "CATALOG": "catalog", "ENVIRONMENT": "", **env}
    run = _run(tmp_path, "catalog-review.yml", step, full, prepare)
    assert run.code == 0, run.log
    names: list[str] = json.loads(run.outputs["names"])
    assert f"Environments to review: {run.outputs['names']}" in run.summary
    return names


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        # an overlay's change affects its environment only
        ({"catalog/environments/staging/m.yaml": "kind: Model\nenabled: false\n"}, ["staging"]),
        ({"catalog/environments/production/new.yaml": "x\n"}, ["production"]),
        (
            {
                "catalog/environments/staging/m.yaml": None,
                "catalog/environments/staging/n.yaml": "x\n",
                "catalog/environments/production/m.yaml": "y\n",
            },
            ["production", "staging"],
        ),
        # a change to the base, or to the schemas, affects every environment
        ({"catalog/models/m.yaml": "kind: Model\nenabled: false\n"}, ["production", "staging"]),
        ({"catalog/settings.yaml": "kind: Settings\n"}, ["production", "staging"]),
        ({"schemas/model.schema.json": "{}\n"}, ["production", "staging"]),
        # a file in environments/ that is no environment's (a stray file, a removed
        # environment) is the base's problem: every environment is reviewed
        ({"catalog/environments/notes.txt": "n\n"}, ["production", "staging"]),
        ({"catalog/environments/qa/m.yaml": None}, ["production", "staging"]),
        # files outside the catalog change no plan
        ({"README.md": "changed\n"}, []),
        ({}, []),
    ],
)
def test_the_review_plans_each_environment_the_pull_request_affects(
    tmp_path: Path, changes: dict[str, str | None], names: list[str]
) -> None:
    # qa, where the base commit has it, is removed by the pull request
    environments = ("production", "qa", "staging") if "qa" in str(changes) else None
    prepare = _pull_request(changes, **({"environments": environments} if environments else {}))
    assert _affected(tmp_path, prepare) == names


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"catalog/models/m.yaml": "changed\n"}, [""]),
        ({"schemas/model.schema.json": "{}\n"}, [""]),
        # a push that no longer changes the catalog: no plan, and outdated-comments marks
        # the base's comment of the earlier push
        ({"README.md": "changed\n"}, []),
        ({}, []),
    ],
)
def test_a_catalog_without_environments_is_reviewed_as_the_base(
    tmp_path: Path, changes: dict[str, str | None], names: list[str]
) -> None:
    prepare = _pull_request(changes, environments=())
    assert _affected(tmp_path, prepare) == names
    # outside a pull request (changes unknown) the base is reviewed
    assert _affected(tmp_path, prepare, GITHUB_EVENT_NAME="push") == [""]


@pytest.mark.parametrize("name", ["pr.yml", "scaffold review.yml"])
def test_the_review_runs_on_every_push_so_outdated_comments_are_marked(name: str) -> None:
    # a paths filter would skip the run of a push that stops changing the catalog, and the
    # plan comments of the earlier push would stay
    if name == "pr.yml":
        text = (WORKFLOWS / "pr.yml").read_text("utf-8")
    else:
        text = (REPO / "reconciler" / "scaffold" / "templates" / "review.yml").read_text("utf-8")
    trigger = yaml.safe_load(text)[True]["pull_request"]
    assert "paths" not in trigger
    assert "paths-ignore" not in trigger


def test_every_environment_when_the_changes_are_unknown(tmp_path: Path) -> None:
    change = {"catalog/environments/staging/m.yaml": "changed\n"}
    # not a pull request (e.g. a caller's workflow_dispatch): every environment
    assert _affected(tmp_path, _pull_request(change), GITHUB_EVENT_NAME="push") == [
        "production",
        "staging",
    ]

    def one_commit(work: Path) -> None:  # a checkout without the base commit
        _pull_request(change)(work)
        _git(work, "checkout", "-q", "--orphan", "alone")
        _git(work, "commit", "-q", "-m", "alone")

    assert _affected(tmp_path, one_commit) == ["production", "staging"]


def test_the_environment_input_reviews_that_one_only(tmp_path: Path) -> None:
    prepare = _pull_request({"catalog/models/m.yaml": "changed\n"})
    assert _affected(tmp_path, prepare, ENVIRONMENT="staging") == ["staging"]


def test_the_review_is_one_job_per_environment_with_its_own_registry() -> None:
    review = _load("catalog-review.yml")
    job = review["jobs"]["review"]
    assert job["needs"] == "environments"
    assert job["if"] == "needs.environments.outputs.names != '[]'"
    assert job["strategy"]["fail-fast"] is False
    assert job["strategy"]["matrix"]["environment"] == (
        "${{ fromJSON(needs.environments.outputs.names) }}"
    )
    # the read-only URL of the GitHub environment <name>-readonly (drift.yml's), base: none
    assert job["environment"] == (
        "${{ matrix.environment && format('{0}-readonly', matrix.environment) || '' }}"
    )
    for command in ("validate", "lint", "plan"):
        step = _uses_action("catalog-review.yml", command)
        assert step["with"]["environment"] == "${{ matrix.environment }}"
    plan = _uses_action("catalog-review.yml", "plan")
    assert plan["with"]["database-url"] == (
        "${{ secrets.REGISTRY_DATABASE_URL_READONLY || secrets.database-url }}"
    )
    secrets = _triggers("catalog-review.yml")["workflow_call"]["secrets"]
    assert set(secrets) == {"REGISTRY_DATABASE_URL_READONLY", "database-url"}
    # the changes are read from the merge commit and its first parent
    [checkout] = review["jobs"]["environments"]["steps"][:1]
    assert checkout["with"] == {"persist-credentials": False, "fetch-depth": 2}
    # pr.yml passes the secret by name, so that each environment's own wins
    assert _load("pr.yml")["jobs"]["review"]["secrets"] == {
        "REGISTRY_DATABASE_URL_READONLY": "${{ secrets.REGISTRY_DATABASE_URL_READONLY }}"
    }


def test_drift_fails_the_run_on_drift_in_its_own_step() -> None:
    steps = _steps(ACTION)
    index = next(i for i, s in enumerate(steps) if s.get("id") == "drift")
    after = steps[index + 1]
    assert after["if"] == "steps.drift.outputs.drift == 'true'"
    assert "exit 1" in after["run"]


@pytest.mark.parametrize(
    ("flags", "call"),
    [
        ("", "drift --catalog catalog"),
        ("--ignore-unmanaged", "drift --catalog catalog --ignore-unmanaged"),
    ],
)
def test_drift_flags_come_from_a_repository_variable(tmp_path: Path, flags: str, call: str) -> None:
    variable = "${{ vars.RECONCILER_DRIFT_FLAGS }}"
    assert _uses_action("drift.yml", "drift")["with"]["flags"] == variable
    run = _run(tmp_path, ACTION, _step(ACTION, "drift"), {"FLAGS": flags})
    assert run.calls == [call]


# --- the action's plan step (pull requests) --------------------------------------------------


def test_pr_plan_writes_markdown_json_and_text(tmp_path: Path) -> None:
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), {"STUB_PLAN_EXIT": "2"})
    assert run.code == 0, run.log
    assert run.outputs["ran"] == "true"
    assert run.outputs["exit-code"] == "2"
    assert run.outputs["plan-path"] == "plan/plan.json"
    assert run.outputs["required_flags"] == run.outputs["missing_labels"] == ""
    assert run.outputs["adopts"] == "false"
    assert sorted(p.name for p in (run.cwd / "plan").iterdir()) == [
        "comment",
        "plan.json",
        "plan.md",
        "plan.txt",
    ]
    assert [p.name for p in (run.cwd / "plan" / "comment").iterdir()] == ["part-1.md"]
    for call in run.calls:
        assert call.startswith("plan --no-secrets --detailed-exitcode --catalog catalog --format ")
    # only the Markdown plan writes the comments
    assert [c.split(" --format ")[1] for c in run.calls] == [
        "markdown --split-dir plan/comment",
        "json",
        "text",
    ]
    assert "stub plan" in run.summary


def test_pr_plan_writes_every_part_of_a_long_plan(tmp_path: Path) -> None:
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), {"STUB_PLAN_EXIT": "2", "STUB_PARTS": "3"})
    assert run.code == 0, run.log
    comments = run.cwd / "plan" / "comment"
    assert sorted(p.name for p in comments.iterdir()) == ["part-1.md", "part-2.md", "part-3.md"]
    assert (comments / "part-3.md").read_text("utf-8").startswith("<!-- reconciler-plan part=3 -->")


@pytest.mark.parametrize("code", [1, 70])
def test_pr_plan_failure_is_reported_not_marked_as_ran(tmp_path: Path, code: int) -> None:
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), {"STUB_PLAN_EXIT": str(code)})
    assert run.code == code
    assert run.outputs["exit-code"] == str(code)
    assert "ran" not in run.outputs
    assert len(run.calls) == 1  # the first failure stops: no more plans
    assert "::error" in run.log


def test_pr_plan_is_skipped_without_registry_access(tmp_path: Path) -> None:
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), {"REGISTRY_DATABASE_URL": ""})
    assert run.code == 0
    assert run.outputs == {"ran": "false"}
    assert run.calls == []


def test_a_plan_outside_a_pull_request_has_no_labels(tmp_path: Path) -> None:
    env = {"PR_LABELS": "null", "STUB_GUARDS": GUARD}  # toJSON of a push event's labels
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), env)
    assert run.code == 0, run.log
    assert run.outputs["missing_labels"] == "reconciler:allow-breaking"
    assert all("--adopt" not in call for call in run.calls)


def test_pr_adopt_label_plans_with_adopt(tmp_path: Path) -> None:
    labels = json.dumps(["documentation", "reconciler:adopt"])
    env = {"PR_LABELS": labels, "STUB_CHANGES": '[{"action": "update", "adopt": true}]'}
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), env)
    assert run.code == 0, run.log
    assert run.outputs["adopts"] == "true"
    assert len(run.calls) == 3
    assert all(" --adopt " in f" {call} " for call in run.calls)


@pytest.mark.parametrize(
    ("labels", "missing"),
    [([], "reconciler:allow-breaking"), (["reconciler:allow-breaking"], "")],
)
def test_pr_guard_labels(tmp_path: Path, labels: list[str], missing: str) -> None:
    env = {"STUB_GUARDS": GUARD, "PR_LABELS": json.dumps(labels)}
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), env)
    assert run.code == 0, run.log
    assert run.outputs["required_flags"] == "--allow-breaking"
    assert run.outputs["missing_labels"] == missing
    [guards] = [s for s in _steps(ACTION) if "missing_labels != ''" in str(s.get("if"))]
    assert "exit 1" in guards["run"]


@pytest.mark.parametrize(
    ("labels", "flags"),
    [
        ([], []),
        (["reconciler:allow-breaking"], ["--allow-breaking"]),
        (
            ["reconciler:allow-mass-removal", "reconciler:allow-breaking"],
            ["--allow-breaking", "--allow-mass-removal"],
        ),
        (["reconciler:allow-breaking-not"], []),  # exact names only
    ],
)
def test_approving_labels_show_their_guard_approved(
    tmp_path: Path, labels: list[str], flags: list[str]
) -> None:
    """The comment's status table shows a labelled guard as approved, not as "add the
    label"; the Guards step still reads the plan's guards."""
    env = {"STUB_GUARDS": GUARD, "PR_LABELS": json.dumps(labels)}
    run = _run(tmp_path, ACTION, _step(ACTION, "plan"), env)
    assert run.code == 0, run.log
    assert len(run.calls) == 3
    for call in run.calls:
        assert [a for a in call.split() if a.startswith("--allow-")] == flags


# --- the action's apply step -----------------------------------------------------------------


def _apply(tmp_path: Path, **env: str) -> Run:
    return _run(tmp_path, ACTION, _step(ACTION, "apply"), env)


@pytest.mark.parametrize("code", [0, 2])
def test_apply_applies_the_saved_plan(tmp_path: Path, code: int) -> None:
    run = _apply(tmp_path, STUB_PLAN_EXIT=str(code))
    assert run.code == 0, run.log
    assert run.calls == [
        "db upgrade",
        "plan --detailed-exitcode --catalog catalog --out plan/plan-file.json",
        "apply plan/plan-file.json --test-connections",
    ]
    assert json.loads((run.cwd / "plan" / "plan.json").read_text("utf-8"))["guards"] == []
    assert run.outputs["plan-path"] == "plan/plan-file.json"
    assert "### Applied" in run.summary
    assert _fences_closed(run.summary)


@pytest.mark.parametrize("code", [1, 70])
def test_apply_stops_when_the_plan_fails(tmp_path: Path, code: int) -> None:
    run = _apply(tmp_path, STUB_PLAN_EXIT=str(code))
    assert run.code == code
    assert not any(call.startswith("apply") for call in run.calls)
    assert "Plan failed" in run.summary
    assert _fences_closed(run.summary)


def test_apply_refuses_a_guarded_plan_and_says_how_to_rerun(tmp_path: Path) -> None:
    run = _apply(tmp_path, STUB_PLAN_EXIT="2", STUB_GUARDS=GUARD)
    assert run.code == 1
    assert not any(call.startswith("apply") for call in run.calls)
    assert "Apply refused: the plan needs --allow-breaking" in run.summary
    assert "Actions > catalog apply > Run workflow" in run.summary
    assert "`allow_breaking`" in run.summary
    assert _fences_closed(run.summary)


def test_apply_inputs_pass_the_flags(tmp_path: Path) -> None:
    run = _apply(
        tmp_path,
        STUB_PLAN_EXIT="2",
        STUB_GUARDS=GUARD,
        ADOPT="true",
        ALLOW_BREAKING="true",
        ALLOW_MASS_REMOVAL="true",
        FLAGS="--no-prune",
        GITHUB_EVENT_NAME="workflow_dispatch",
    )
    assert run.code == 0, run.log
    assert run.calls[1:] == [
        "plan --detailed-exitcode --catalog catalog --adopt --no-prune --out plan/plan-file.json",
        "apply plan/plan-file.json --test-connections --allow-breaking --allow-mass-removal",
    ]


@pytest.mark.parametrize("code", [1, 70])
def test_apply_failure_fails_the_step(tmp_path: Path, code: int) -> None:
    run = _apply(tmp_path, STUB_PLAN_EXIT="2", STUB_APPLY_EXIT=str(code))
    assert run.code == code
    assert run.outputs["exit-code"] == str(code)
    assert f"Apply failed (exit {code})" in run.summary
    assert _fences_closed(run.summary)


def test_scheduled_apply_without_changes_applies_nothing(tmp_path: Path) -> None:
    run = _apply(tmp_path, STUB_PLAN_EXIT="0", GITHUB_EVENT_NAME="schedule")
    assert run.code == 0
    assert not any(call.startswith("apply") for call in run.calls)


# --- the PR comment script -------------------------------------------------------------------

NODE = shutil.which("node")
HARNESS = r"""
const fs = require('fs');
const script = fs.readFileSync(process.argv[2], 'utf8');
const calls = [];
const github = {
  paginate: async () => JSON.parse(process.env.COMMENTS),
  rest: {issues: {
    listComments: () => {},
    updateComment: async (args) => { calls.push(['update', args]); },
    createComment: async (args) => { calls.push(['create', args]); },
    deleteComment: async (args) => { calls.push(['delete', args]); },
  }},
};
const context = {
  repo: {owner: 'acme', repo: 'catalog'}, issue: {number: 7}, runId: 42,
  serverUrl: 'https://github.com', payload: {pull_request: {head: {sha: 'abcdef123456'}}},
};
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', script)(require, github, context)
  .then(() => console.log(JSON.stringify(calls)));
"""
MARKER = "<!-- reconciler-plan -->"
BOT = {"login": "github-actions[bot]"}


def _comment(
    tmp_path: Path,
    comments: list[dict[str, Any]],
    plan_md: str,
    parts: list[str] | None = None,
    **env: str,
) -> Any:
    """The calls the comment script makes; ``parts`` are the comments ``--split-dir`` wrote."""
    [step] = [s for s in _steps(ACTION) if "github-script" in s.get("uses", "")]
    (tmp_path / "script.js").write_text(step["with"]["script"], "utf-8")
    (tmp_path / "harness.js").write_text(HARNESS, "utf-8")
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "plan.md").write_text(plan_md, "utf-8")
    if parts is not None:
        (tmp_path / "plan" / "comment").mkdir()
        for number, part in enumerate(parts, 1):
            (tmp_path / "plan" / "comment" / f"part-{number}.md").write_text(part, "utf-8")
    full = {
        "PATH": os.environ.get("PATH", os.defpath),
        "COMMENTS": json.dumps(comments),
        **_step_env(ACTION, step),
        "VALIDATE_OUTCOME": "success",
        "PLAN_OUTCOME": "success",
        "PLAN_RAN": "true",
        "PLAN_EXIT": "2",
        **env,
    }
    assert NODE is not None
    done = subprocess.run(
        [NODE, "harness.js", "script.js"],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


@needs_node
def test_comment_updates_only_the_bots_marker_comment(tmp_path: Path) -> None:
    comments = [
        {"id": 1, "user": {"login": "alice"}, "body": f"quoting {MARKER}"},
        {"id": 2, "user": BOT, "body": "another bot comment"},
        {"id": 3, "user": BOT, "body": f"{MARKER}\nold plan"},
    ]
    plan = f"{MARKER}\n## Reconciler plan\n\nnew plan\n"
    [[action, args]] = _comment(tmp_path, comments, plan)
    assert (action, args["comment_id"]) == ("update", 3)
    assert args["body"].startswith(plan)
    assert "workflow artifact" in args["body"]


@needs_node
def test_comment_is_created_when_the_bot_has_none(tmp_path: Path) -> None:
    comments = [{"id": 1, "user": {"login": "alice"}, "body": MARKER}]
    [[action, args]] = _comment(tmp_path, comments, f"{MARKER}\nplan\n")
    assert action == "create"
    assert args["issue_number"] == 7


@needs_node
@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"VALIDATE_OUTCOME": "failure", "PLAN_OUTCOME": "skipped", "PLAN_RAN": ""}, "validate"),
        ({"PLAN_OUTCOME": "failure", "PLAN_RAN": "", "PLAN_EXIT": "70"}, "internal error"),
        # the plan's own errors: the plan is there, open, with them
        ({"PLAN_OUTCOME": "failure", "PLAN_RAN": "", "PLAN_EXIT": "1"}, "the plan has errors"),
        # exit 1 without a plan (a usage error, an unreachable registry): the log says why
        (
            {"PLAN_OUTCOME": "failure", "PLAN_RAN": "", "PLAN_EXIT": "1", "NO_PLAN": "1"},
            "failed (exit 1)",
        ),
    ],
)
def test_a_failure_replaces_the_old_plan(tmp_path: Path, env: dict[str, str], says: str) -> None:
    comments = [{"id": 3, "user": BOT, "body": f"{MARKER}\nold plan"}]
    plan = "" if env.get("NO_PLAN") else f"{MARKER}\nPLAN-ERROR-LIST\n"
    [[action, args]] = _comment(tmp_path, comments, plan, **env)
    assert action == "update"
    body = args["body"]
    assert body.startswith(MARKER)
    assert "No current plan for abcdef1" in body
    assert says in body
    assert "https://github.com/acme/catalog/actions/runs/42" in body
    shown = env.get("PLAN_EXIT") == "1" and not env.get("NO_PLAN")
    assert ("PLAN-ERROR-LIST" in body) == shown
    assert ("<details open><summary>The plan and its errors" in body) == shown


@needs_node
def test_each_environment_updates_only_its_own_comment(tmp_path: Path) -> None:
    staging = "<!-- reconciler-plan environment=staging -->"
    comments = [
        {"id": 1, "user": BOT, "body": f"{MARKER}\nbase plan"},
        {"id": 2, "user": BOT, "body": "<!-- reconciler-plan environment=production -->\np"},
        {"id": 3, "user": BOT, "body": f"{staging}\nold staging plan"},
        {"id": 4, "user": BOT, "body": "<!-- reconciler-plan environment=stag -->\np"},
    ]
    plan = f"{staging}\n## Reconciler plan\n\nEnvironment: **staging**\n"
    [[action, args]] = _comment(tmp_path, comments, plan, ENVIRONMENT="staging")
    assert (action, args["comment_id"]) == ("update", 3)
    assert args["body"].startswith(plan)
    # no comment yet for this environment: a new one, never another environment's
    (tmp_path / "qa").mkdir()
    [[action, args]] = _comment(tmp_path / "qa", comments[:2], "x", ENVIRONMENT="qa")
    assert action == "create"
    assert args["body"].startswith("<!-- reconciler-plan environment=qa -->\n")


@needs_node
def test_a_failure_comment_names_its_environment(tmp_path: Path) -> None:
    staging = "<!-- reconciler-plan environment=staging -->"
    comments = [{"id": 3, "user": BOT, "body": f"{staging}\nold plan"}]
    env = {"PLAN_OUTCOME": "failure", "PLAN_RAN": "", "PLAN_EXIT": "1", "ENVIRONMENT": "staging"}
    [[action, args]] = _comment(tmp_path, comments, f"{staging}\nPLAN-ERROR-LIST\n", **env)
    assert (action, args["comment_id"]) == ("update", 3)
    lines = args["body"].splitlines()
    assert lines[:4] == [staging, "## Reconciler plan", "", "Environment: **staging**"]
    assert "No current plan for abcdef1 in `staging`:" in args["body"]
    assert "PLAN-ERROR-LIST" in args["body"]


@needs_node
def test_a_huge_plan_is_cut_to_fit_a_comment(tmp_path: Path) -> None:
    row = "<details><summary>x</summary>\n\n" + "| a | b |\n" * 50 + "\n</details>\n\n"
    plan = MARKER + "\n" + row * 400
    env = {
        "ARTIFACT_URL": "https://example.test/artifact",
        "REQUIRED_FLAGS": "--allow-breaking",
        "PLAN_ADOPTS": "true",
    }
    [[_, args]] = _comment(tmp_path, [], plan, **env)
    body = args["body"]
    assert len(plan) > 200_000 > 65_536 > len(body)
    assert body.count("<details>") == body.count("</details>")
    assert "cut short" in body
    assert "https://example.test/artifact" in body
    assert "`allow_breaking: true`" in body
    assert "`adopt: true`" in body


def _part(number: int, environment: str = "") -> str:
    """A follow-up comment as the renderer writes it (its marker from the renderer itself)."""
    return f"{marker(environment, number)}\n## Reconciler plan, part {number}\n\nrows {number}\n"


@needs_node
def test_a_long_plan_is_posted_as_numbered_comments_in_order(tmp_path: Path) -> None:
    parts = [f"{MARKER}\n## Reconciler plan\n\nrows 1\n", _part(2), _part(3)]
    calls = _comment(tmp_path, [], "the single-comment form\n", parts, REQUIRED_FLAGS="--x")
    assert [action for action, _ in calls] == ["create", "create", "create"]
    bodies = [args["body"] for _, args in calls]
    assert bodies[0].startswith(parts[0])  # the first part, not plan.md
    # the notes go with the first part only
    assert "workflow artifact" in bodies[0]
    assert "`x: true`" in bodies[0]
    assert bodies[1:] == parts[1:]


@needs_node
def test_follow_ups_are_updated_by_marker_and_stale_ones_deleted(tmp_path: Path) -> None:
    comments = [
        {"id": 3, "user": BOT, "body": f"{MARKER}\nold plan"},
        {"id": 4, "user": BOT, "body": _part(2)},
        {"id": 5, "user": BOT, "body": _part(3)},
        {"id": 6, "user": BOT, "body": _part(12)},
        {"id": 7, "user": {"login": "alice"}, "body": f"quoting {_part(9)}"},  # a person's
        {"id": 8, "user": BOT, "body": _part(4, "prod")},  # another environment's
        {"id": 9, "user": BOT, "body": "<!-- reconciler-plan part=x -->"},  # not a number
    ]
    parts = [f"{MARKER}\nnew 1\n", _part(2)]
    calls = _comment(tmp_path, comments, "", parts)
    assert [(action, args.get("comment_id")) for action, args in calls] == [
        ("update", 3),
        ("update", 4),
        ("delete", 5),
        ("delete", 6),
    ]


@needs_node
def test_an_environments_parts_have_their_own_markers(tmp_path: Path) -> None:
    prod = "<!-- reconciler-plan environment=prod -->"
    comments = [
        {"id": 1, "user": BOT, "body": _part(2)},  # the base catalog's: not touched
        {"id": 2, "user": BOT, "body": _part(2, "prod")},
        {"id": 3, "user": BOT, "body": _part(3, "prod")},
    ]
    parts = [f"{prod}\nrows\n", _part(2, "prod")]
    calls = _comment(tmp_path, comments, "", parts, ENVIRONMENT="prod")
    assert [(action, args.get("comment_id")) for action, args in calls] == [
        ("create", None),
        ("update", 2),
        ("delete", 3),
    ]


@needs_node
def test_a_failure_deletes_the_follow_ups_of_the_old_plan(tmp_path: Path) -> None:
    comments = [
        {"id": 3, "user": BOT, "body": f"{MARKER}\nold plan"},
        {"id": 4, "user": BOT, "body": _part(2)},
    ]
    env = {"PLAN_OUTCOME": "failure", "PLAN_RAN": "", "PLAN_EXIT": "70"}
    calls = _comment(tmp_path, comments, "", [f"{MARKER}\nx\n", _part(2)], **env)
    assert [(action, args["comment_id"]) for action, args in calls] == [
        ("update", 3),
        ("delete", 4),
    ]
    assert "internal error" in calls[0][1]["body"]


@needs_node
def test_the_renderers_parts_post_as_they_are(tmp_path: Path) -> None:
    """The real renderer's parts of a plan too long for one comment: the script finds each
    by its marker and posts it within GitHub's limit."""
    changes = [
        Change(Action.DEACTIVATE, Kind.MODEL, f"retired-model-{n:05d}-" + "x" * 60)
        for n in range(2500)
    ]
    parts = render_markdown_parts(Plan(changes=changes, environment="prod"))
    assert len(parts) >= 3
    comments = [{"id": 50, "user": BOT, "body": _part(len(parts) + 1, "prod")}]
    calls = _comment(tmp_path, comments, "", parts, ENVIRONMENT="prod")
    assert [action for action, _ in calls] == ["create"] * len(parts) + ["delete"]
    for number, (_, args) in enumerate(calls[:-1], 1):
        assert args["body"].startswith(marker("prod", number) + "\n")
        assert len(args["body"]) <= 65_536


def _outdated(tmp_path: Path, comments: list[dict[str, Any]], names: list[str]) -> Any:
    """The calls catalog-review.yml's outdated-comments script makes when this run reviews
    ``names`` (the environments job's output)."""
    step = _step("catalog-review.yml", "outdated")
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "script.js").write_text(step["with"]["script"], "utf-8")
    (tmp_path / "harness.js").write_text(HARNESS, "utf-8")
    full = {
        "PATH": os.environ.get("PATH", os.defpath),
        "COMMENTS": json.dumps(comments),
        "NAMES": json.dumps(names),
    }
    assert NODE is not None
    done = subprocess.run(
        [NODE, "harness.js", "script.js"],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


def test_outdated_comments_run_only_when_the_review_picks_the_environments() -> None:
    job = _load("catalog-review.yml")["jobs"]["outdated-comments"]
    assert job["needs"] == "environments"
    # the environment input reviews one: the others may be a caller's other jobs'
    assert "inputs.environment == ''" in job["if"]
    assert "github.event_name == 'pull_request'" in job["if"]
    # as the comment step: a fork's token cannot comment
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["permissions"] == {"pull-requests": "write"}
    step = _step("catalog-review.yml", "outdated")
    assert step["env"] == {"NAMES": "${{ needs.environments.outputs.names }}"}


@needs_node
def test_comments_of_environments_no_longer_affected_say_so(tmp_path: Path) -> None:
    staging = marker("staging")
    comments = [
        {"id": 1, "user": BOT, "body": f"{staging}\n## Reconciler plan\n\nOLD-STAGING-PLAN\n"},
        {"id": 2, "user": BOT, "body": _part(2, "staging")},
        {"id": 3, "user": BOT, "body": f"{marker('production')}\nproduction plan\n"},
        {"id": 4, "user": BOT, "body": _part(2, "production")},
        {"id": 5, "user": {"login": "alice"}, "body": f"{staging}\nquoted by a person"},
        {"id": 6, "user": BOT, "body": f"{MARKER}\nthe base catalog's plan\n"},
        {"id": 7, "user": BOT, "body": f"{marker('qa')}\nan environment since removed\n"},
        {"id": 8, "user": BOT, "body": f"another bot comment quoting {staging}"},
    ]
    calls = _outdated(tmp_path, comments, ["production"])
    assert [(action, args["comment_id"]) for action, args in calls] == [
        ("update", 1),
        ("delete", 2),
        ("update", 6),
        ("update", 7),
    ]
    body = calls[0][1]["body"]
    assert body.splitlines()[:4] == [staging, "## Reconciler plan", "", "Environment: **staging**"]
    assert (
        "**Not affected by the latest commit abcdef1:** this pull request no longer changes "
        "environment `staging`, so the plan this comment showed before no longer applies."
    ) in body
    assert "OLD-STAGING-PLAN" not in body
    assert "https://github.com/acme/catalog/actions/runs/42" in body
    assert calls[2][1]["body"].startswith(f"{MARKER}\n## Reconciler plan\n\n> [!NOTE]")
    assert "no longer changes the base catalog" in calls[2][1]["body"]
    assert "no longer changes environment `qa`" in calls[3][1]["body"]


@needs_node
def test_no_environment_affected_marks_every_plan_comment(tmp_path: Path) -> None:
    comments = [
        {"id": 1, "user": BOT, "body": f"{marker('staging')}\nplan\n"},
        {"id": 2, "user": BOT, "body": f"{marker('production')}\nplan\n"},
    ]
    calls = _outdated(tmp_path, comments, [])
    assert [(action, args["comment_id"]) for action, args in calls] == [
        ("update", 1),
        ("update", 2),
    ]
    # a rerun for the same commit finds the notes as they are: nothing to write
    noted = [{**c, "body": args["body"]} for c, (_, args) in zip(comments, calls, strict=True)]
    assert _outdated(tmp_path / "again", noted, []) == []
    # every environment reviewed: nothing is outdated
    assert _outdated(tmp_path / "all", comments, ["production", "staging"]) == []


@needs_node
def test_a_noted_comment_gets_the_plan_again_when_a_push_affects_it(tmp_path: Path) -> None:
    staging = marker("staging")
    comments = [{"id": 1, "user": BOT, "body": f"{staging}\nplan\n"}]
    [[_, args]] = _outdated(tmp_path / "note", comments, ["production"])
    noted = [{"id": 1, "user": BOT, "body": args["body"]}]
    plan = f"{staging}\n## Reconciler plan\n\nEnvironment: **staging**\n\nnew plan\n"
    [[action, args]] = _comment(tmp_path, noted, plan, ENVIRONMENT="staging")
    assert (action, args["comment_id"]) == ("update", 1)
    assert args["body"].startswith(plan)


# --- the LiteLLM proxy config ----------------------------------------------------------------


def test_pr_checks_the_rendered_litellm_config_only_when_the_variable_names_it(
    tmp_path: Path,
) -> None:
    job = _load("pr.yml")["jobs"]["litellm-config"]
    assert job["if"] == "vars.RECONCILER_LITELLM_CONFIG != ''"
    assert job["permissions"] == {"contents": "read"}
    step = _step("pr.yml", "litellm-config")
    run = _run(tmp_path, "pr.yml", step, {"LITELLM_CONFIG": "deploy/litellm config.yaml"})
    assert run.code == 0, run.log
    assert run.calls == ["litellm-config --check --out deploy/litellm config.yaml"]


@pytest.mark.parametrize("code", [0, 1, 2])
def test_pr_checks_every_environments_rendered_litellm_config(tmp_path: Path, code: int) -> None:
    """One line per file: FILE for the base, ENVIRONMENT=FILE; every file is checked."""
    step = _step("pr.yml", "litellm-config")
    lines = "deploy/base.yaml\r\n\nproduction=deploy/prod.yaml\n  \nstaging=deploy/a=b.yaml"
    run = _run(tmp_path, "pr.yml", step, {"LITELLM_CONFIG": lines, "STUB_LITELLM_EXIT": str(code)})
    assert run.code == code, run.log
    assert run.calls == [
        "litellm-config --check --out deploy/base.yaml",
        "litellm-config --check --out deploy/prod.yaml --environment production",
        "litellm-config --check --out deploy/a=b.yaml --environment staging",
    ]


def test_apply_publishes_the_litellm_config_of_what_it_applied(tmp_path: Path) -> None:
    job = _load("apply.yml")["jobs"]["litellm-config"]
    assert job["needs"] == ["environments", "apply"]
    # one per environment applied, as the apply job's matrix
    assert job["strategy"]["matrix"] == _load("apply.yml")["jobs"]["apply"]["strategy"]["matrix"]
    assert "secrets." not in json.dumps(job)
    step = _step("apply.yml", "litellm-config")
    assert step["env"] == {"RECONCILER_ENVIRONMENT": "${{ matrix.environment }}"}
    run = _run(tmp_path, "apply.yml", step)
    assert run.code == 0, run.log
    assert run.calls == ["litellm-config --out litellm/config.yaml"]
    assert (run.cwd / "litellm").is_dir()
    [upload] = [s for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    assert upload["with"]["name"] == (
        "litellm-config${{ matrix.environment && format('-{0}', matrix.environment) || '' }}"
    )
    assert upload["with"]["path"] == "litellm/config.yaml"


@pytest.mark.parametrize("name", ["pr.yml", "apply.yml"])
def test_litellm_config_jobs_install_the_pinned_set_without_persisted_credentials(
    name: str,
) -> None:
    steps = _load(name)["jobs"]["litellm-config"]["steps"]
    assert "-c constraints.txt" in steps[2]["run"]
    assert steps[0]["with"] == {"persist-credentials": False}
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
