# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/gen_docs.py: Ansible markup to Markdown (through antsibull-docs-parser), the page
layout, and the drift check of nox -s docs."""
from __future__ import annotations

from pathlib import Path

import pytest

import gen_docs

FQCN = "cloudhooks.aws.lambda_invocation"


def renderer() -> gen_docs.Renderer:
    return gen_docs.Renderer(FQCN, ["state", "input", "retry.count"], ["result", "invocations", "invocations.payload"])


@pytest.mark.parametrize("markup, markdown", [
    ("plain text", "plain text"),
    ("C(a|b) and V(true)", "`a\\|b` and `true`"),
    ("I(some) B(thing)", "*some* **thing**"),
    ("O(state=absent) or O(input)", "[`state=absent`](#option-state) or [`input`](#option-input)"),
    ("O(retry.count)", "[`retry.count`](#option-retry-count)"),
    ("O(not_here)", "`not_here`"),
    ("O(amazon.aws.lambda_execute#module:payload)", "`payload` of `amazon.aws.lambda_execute`"),
    ("RV(invocations[].payload)", "[`invocations[].payload`](#return-invocations-payload)"),
    ("M(amazon.aws.lambda_execute)", "`amazon.aws.lambda_execute`"),
    ("P(community.general.redis#cache)", "`community.general.redis` cache"),
    ("E(AWS_REGION)", "`AWS_REGION`"),
    ("L(the reference, https://example.org/x) and U(https://example.org/y)",
     "[the reference](https://example.org/x) and <https://example.org/y>"),
    ("V(x\\)y) but C(x\\)y)", "`x)y` but `x\\`y)"),
    ("a * b <c>", "a \\* b &lt;c>"),
])
def test_markup(markup: str, markdown: str) -> None:
    assert renderer().text(markup) == markdown


def test_a_list_of_paragraphs_is_one_cell() -> None:
    assert renderer().text(["One C(a).", "Two."]) == "One `a`. Two."


def test_bad_markup_stops_the_page() -> None:
    with pytest.raises(SystemExit, match="bad Ansible markup"):
        renderer().text("O(")


def _info(tmp_path: Path) -> dict:
    module = tmp_path / "lambda_invocation.py"
    module.write_text('DOCUMENTATION = r"""\noptions:\n  state:\n    description: x\n"""\n')
    return {
        "doc": {
            "filename": str(module), "short_description": "Invoke a function", "description": ["Runs it O(state)."],
            "options": {
                "state": {"description": "Whether C(present).", "choices": ["present", "absent"], "default": "present"},
                "region": {"description": "From a fragment.", "type": "str"},
            },
            "author": ["Someone"],
        },
        "examples": "- name: Example\n  cloudhooks.aws.lambda_invocation: {}\n",
        "return": {"result": {"description": "The RV(result).", "returned": "always", "type": "str", "sample": "ok"}},
    }


def test_page_layout(tmp_path: Path) -> None:
    page = gen_docs.render(FQCN, _info(tmp_path))
    assert page.startswith("# cloudhooks.aws.lambda_invocation\n")
    assert "- Runs it [`state`](#option-state).\n" in page
    assert ('| <a id="option-state"></a>**state** | str |  | `present` | `present`, `absent` | Whether `present`. |'
            in page)
    assert "### AWS connection options" in page and '<a id="option-region"></a>**region**' in page
    assert ('| <a id="return-result"></a>**result** | str | always | The [`result`](#return-result).<br>Sample: `ok` |'
            in page)
    assert "```yaml\n- name: Example\n" in page


def test_drift_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = gen_docs.render(FQCN, _info(tmp_path))
    output = tmp_path / "page.md"
    output.write_text(page, encoding="utf-8")
    assert gen_docs.check(output, page) == 0
    output.write_text(page.replace("Invoke a function", "Invoke something"), encoding="utf-8")
    assert gen_docs.check(output, page) == 1
    err = capsys.readouterr().err
    assert "-Invoke something." in err and "+Invoke a function." in err and "out of date" in err
    assert gen_docs.check(tmp_path / "missing.md", page) == 1
