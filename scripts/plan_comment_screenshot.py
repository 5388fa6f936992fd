"""Screenshot of the markdown plan as a pull request comment: docs/plan-comment.png.

A sample plan (a breaking disable, a price cut, an edit made in the application, a rename,
new rows) is rendered by ``reconciler plan --format markdown``'s renderer, turned into HTML
by cmark-gfm (GitHub's own renderer, with its extensions and comment line breaks), styled
like a GitHub comment in its 760-pixel column, and photographed by headless Chromium. Run it
from the repository root after changing the renderer:

    .venv/bin/python scripts/plan_comment_screenshot.py [--out docs/plan-comment.png]

Needs cmark-gfm (the [test] extra), ``chromium`` (or ``CHROMIUM=/path/to/chrome``) and a colour
emoji font for the status icons (Debian: ``apt-get install chromium fonts-noto-color-emoji``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cmarkgfm  # type: ignore[import-untyped]
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]

from reconciler import __version__
from reconciler.plan.alerts import (
    Breaking,
    RevertsApplicationEdit,
    SecretsByVersion,
    WorkflowImpact,
)
from reconciler.plan.model import (
    Action,
    Change,
    Database,
    FieldChange,
    Kind,
    Plan,
    RefChange,
    SecretStatus,
    Target,
)
from reconciler.render.plan_markdown import render_markdown

WIDTH = 760  # GitHub's comment column, in CSS pixels
EXTENSIONS = ["table", "autolink", "strikethrough", "tagfilter"]
_ALERT = re.compile(
    r"<blockquote>\n<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\](?:<br />)?\n?(.*?)</blockquote>",
    re.DOTALL,
)
# The parts of GitHub's light theme a plan comment uses (github-markdown-css, abridged).
CSS = """
body { margin: 0; background: #fff; }
.comment { width: 760px; box-sizing: border-box; border: 1px solid #d1d9e0; border-radius: 6px; }
.comment-header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
  font: 14px -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #59636e; }
.comment-header b { color: #1f2328; }
.markdown-body { padding: 16px; color: #1f2328; line-height: 1.5; word-wrap: break-word;
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
.markdown-body > :first-child { margin-top: 0 !important; }
.markdown-body h2 { font-size: 1.5em; font-weight: 600; padding-bottom: .3em;
  border-bottom: 1px solid #d1d9e0b3; margin: 24px 0 16px; }
.markdown-body h3 { font-size: 1.25em; font-weight: 600; margin: 24px 0 16px; }
.markdown-body p, .markdown-body ul, .markdown-body table, .markdown-body details,
.markdown-body blockquote, .markdown-body .markdown-alert { margin: 0 0 16px; }
.markdown-body ul { padding-left: 2em; }
.markdown-body code { font: 85% ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, monospace;
  background: #818b981f; border-radius: 6px; padding: .2em .4em; white-space: break-spaces; }
.markdown-body table { border-spacing: 0; border-collapse: collapse; display: block;
  width: max-content; max-width: 100%; overflow: auto; }
.markdown-body td, .markdown-body th { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body th { font-weight: 600; }
.markdown-body tr { background: #fff; border-top: 1px solid #d1d9e0b3; }
.markdown-body tr:nth-child(2n) { background: #f6f8fa; }
.markdown-body summary { cursor: pointer; }
.markdown-body sub { font-size: 75%; }
.markdown-alert { padding: 8px 16px; border-left: .25em solid; color: inherit; }
.markdown-alert > :last-child { margin-bottom: 0; }
.markdown-alert-title { display: flex; font-weight: 500; align-items: center; line-height: 1; }
.markdown-alert-note { border-color: #0969da; }
.markdown-alert-note .markdown-alert-title { color: #0969da; }
.markdown-alert-tip { border-color: #1a7f37; }
.markdown-alert-tip .markdown-alert-title { color: #1a7f37; }
.markdown-alert-important { border-color: #8250df; }
.markdown-alert-important .markdown-alert-title { color: #8250df; }
.markdown-alert-warning { border-color: #9a6700; }
.markdown-alert-warning .markdown-alert-title { color: #9a6700; }
.markdown-alert-caution { border-color: #d1242f; }
.markdown-alert-caution .markdown-alert-title { color: #d1242f; }
"""


def sample_plan() -> Plan:
    """What a reviewer sees on a typical production change."""
    workflows = ("support-bot", "triage", "summarizer")
    return Plan(
        changes=[
            Change(
                Action.CREATE,
                Kind.CREDENTIAL,
                "prod-anthropic",
                {
                    "provider": FieldChange(None, "anthropic"),
                    "api_key": FieldChange(
                        None,
                        None,
                        SecretStatus.ADDED,
                        RefChange("", "env ANTHROPIC_API_KEY", SecretStatus.ADDED),
                    ),
                },
            ),
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "gpt-4o",
                {
                    "cost.input_per_token": FieldChange(2e-06, 1.5e-06),
                    "cost.output_per_token": FieldChange(8e-06, 6e-06),
                    "context_window": FieldChange(128000, 200000),
                },
                (RevertsApplicationEdit("model gpt-4o", ("context_window",)),),
            ),
            Change(
                Action.RENAME,
                Kind.MODEL,
                "claude-sonnet-3-5",
                {"display_name": FieldChange("Claude 3.5 Sonnet", "Claude Sonnet 3.5")},
                (WorkflowImpact("model claude-sonnet-3-5", workflows[:2], 2, repoints=True),),
                previous_key="claude-3-5-sonnet",
                litellm_alias=True,
            ),
            Change(
                Action.UPDATE,
                Kind.MODEL,
                "mixtral-8x7b",
                {"enabled": FieldChange(True, False)},
                (WorkflowImpact("model mixtral-8x7b", ("nightly-digest",), 1, disabling=True),),
                breaking=True,
            ),
            Change(
                Action.UPDATE,
                Kind.CREDENTIAL,
                "team-openai",
                {
                    "api_key": FieldChange(
                        None,
                        None,
                        SecretStatus.CHANGED,
                        RefChange(
                            "env OPENAI_API_KEY", "env OPENAI_API_KEY_V2", SecretStatus.UNKNOWN
                        ),
                    )
                },
            ),
            *(
                Change(
                    Action.CREATE,
                    Kind.MODEL,
                    slug,
                    {
                        "display_name": FieldChange(None, name),
                        "provider": FieldChange(None, provider),
                        "model_id": FieldChange(None, model_id),
                        "category": FieldChange(None, "standard"),
                        "context_window": FieldChange(None, window),
                        "cost.input_per_token": FieldChange(None, price),
                    },
                )
                for slug, name, provider, model_id, window, price in (
                    (
                        "claude-sonnet-4",
                        "Claude Sonnet 4",
                        "anthropic",
                        "claude-sonnet-4",
                        200000,
                        3e-06,
                    ),
                    ("gpt-5-mini", "GPT-5 mini", "openai", "gpt-5-mini", 400000, 2.5e-07),
                )
            ),
            Change(
                Action.DEACTIVATE,
                Kind.MODEL,
                "gpt-4",
                warnings=(WorkflowImpact("model gpt-4", workflows, 3),),
                breaking=True,
            ),
        ],
        guards=[Breaking("", ("mixtral-8x7b", "gpt-4"))],
        notes=[SecretsByVersion("", "no-secrets")],
        catalog_digest="sha256:9c8b7a6f5e4d",
        environment="production",
        revision=42,
        target=Target(
            database=Database("postgresql", "registry.internal", 5432, "llm_registry"),
            commit="3f2a9c1e5b7d",
            version=__version__,
        ),
    )


def _alert(match: re.Match[str]) -> str:
    kind, body = match[1], match[2]
    body = body.removeprefix("</p>\n") if body.startswith("</p>") else "<p>" + body
    title = f'<p class="markdown-alert-title">{kind.title()}</p>'
    return f'<div class="markdown-alert markdown-alert-{kind.lower()}">{title}{body}</div>'


def comment_html(markdown: str) -> str:
    """The comment as GitHub shows it: cmark-gfm with GitHub's extensions and hard line
    breaks (as in comments), alerts as GitHub draws them, in a comment frame."""
    options = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_HARDBREAKS
    body = cmarkgfm.markdown_to_html_with_extensions(
        markdown, options=options, extensions=EXTENSIONS
    )
    body = _ALERT.sub(_alert, body)
    header = '<div class="comment-header"><b>github-actions</b> <span>bot</span> commented</div>'
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}</style></head>"
        f"<body><div class='comment'>{header}<div class='markdown-body'>{body}</div></div>"
        # the page's height, read back by --dump-dom to size the screenshot
        "<script>document.title = String(document.documentElement.scrollHeight)</script>"
        "</body></html>"
    )


def _chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (found := shutil.which(name)):
            return found
    sys.exit("chromium not found: install it (apt-get install chromium) or set CHROMIUM")


def screenshot(page: Path, out: Path) -> None:
    chromium = _chromium()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    flags += ["--force-device-scale-factor=1", f"--window-size={WIDTH + 2},800"]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    found = re.search(r"<title>(\d+)</title>", dom)
    if found is None:
        sys.exit("chromium did not report the page's height")
    height = int(found[1])
    flags[-1] = f"--window-size={WIDTH + 2},{height}"
    subprocess.run(
        [chromium, *flags, f"--screenshot={out.resolve()}", page.as_uri()],
        capture_output=True,
        check=True,
        timeout=120,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/plan-comment.png"))
    parser.add_argument("--html", type=Path, help="Also keep the HTML page here.")
    args = parser.parse_args()
    page_html = comment_html(render_markdown(sample_plan()))
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "comment.html"
        page.write_text(page_html, "utf-8")
        if args.html:
            args.html.write_text(page_html, "utf-8")
        screenshot(page, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
