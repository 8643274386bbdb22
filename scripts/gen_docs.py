"""Render a module's documentation as Markdown, from what ansible-doc says about it.

    python scripts/gen_docs.py [--check] [--module cloudhooks.aws.lambda_invocation] [--output FILE]

The page is generated from the module itself (``ansible-doc --json``: DOCUMENTATION with its
doc fragments, EXAMPLES, RETURN), so edit the module, never the page. ``--check`` renders the
page and fails, showing a diff, when the committed file differs. Ansible's markup (``O()``,
``C()``, ``RV()``, ...) is parsed by antsibull-docs-parser, as ansible-doc and the docsite do;
MarkdownCells below only decides how each part looks in Markdown.

ansible-doc is the one beside this Python (the project's venv) unless --ansible-doc says
otherwise; collections are looked up in --collections-path (nox -s docs passes the tree
antsibull-nox lays out: this collection beside amazon.aws).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Union

import yaml
from antsibull_docs_parser import dom
from antsibull_docs_parser.format import Formatter
from antsibull_docs_parser.md import to_md
from antsibull_docs_parser.parser import Context, parse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODULE = "cloudhooks.aws.lambda_invocation"


class MarkdownCells(Formatter):
    """Ansible markup (as antsibull-docs-parser parses it) as Markdown that is safe inside a table
    cell: code spans for values, links to this page's rows for its own options and return values."""

    def __init__(self, fqcn: str, options: Iterable[str], returns: Iterable[str]) -> None:
        self.fqcn = fqcn
        self.known = {"option": set(options), "return": set(returns)}

    def format_text(self, part: dom.TextPart) -> str:
        return _escape(part.text)

    def format_error(self, part: dom.ErrorPart) -> str:
        raise SystemExit("gen_docs: bad Ansible markup in %s's documentation: %s" % (self.fqcn, part.message))

    def format_bold(self, part: dom.BoldPart) -> str:
        return "**%s**" % _escape(part.text)

    def format_italic(self, part: dom.ItalicPart) -> str:
        return "*%s*" % _escape(part.text)

    def format_code(self, part: dom.CodePart) -> str:
        return _code(part.text)

    def format_horizontal_line(self, part: dom.HorizontalLinePart) -> str:
        return "<hr>"

    def format_link(self, part: dom.LinkPart) -> str:
        return "[%s](%s)" % (_escape(part.text), part.url)

    def format_url(self, part: dom.URLPart) -> str:
        return "<%s>" % part.url

    def format_rst_ref(self, part: dom.RSTRefPart) -> str:
        return _escape(part.text)

    def format_module(self, part: dom.ModulePart, url: Optional[str]) -> str:
        return _code(part.fqcn)

    def format_plugin(self, part: dom.PluginPart, url: Optional[str]) -> str:
        return "%s %s" % (_code(part.plugin.fqcn), _escape(part.plugin.type))

    def format_env_variable(self, part: dom.EnvVariablePart) -> str:
        return _code(part.name)

    def format_option_value(self, part: dom.OptionValuePart) -> str:
        return _code(part.value)

    def format_option_name(self, part: dom.OptionNamePart, url: Optional[str]) -> str:
        return self._reference(part, "option")

    def format_return_value(self, part: dom.ReturnValuePart, url: Optional[str]) -> str:
        return self._reference(part, "return")

    def _reference(self, part: Union[dom.OptionNamePart, dom.ReturnValuePart], kind: str) -> str:
        """O(name), O(name=value), O(fqcn#type:name): linked when the row is on this page."""
        shown = part.name if part.value is None else "%s=%s" % (part.name, part.value)
        if part.plugin is not None and part.plugin.fqcn != self.fqcn:
            return _code(shown) + " of " + _code(part.plugin.fqcn)
        dotted = ".".join(part.link)
        if dotted in self.known[kind]:
            return "[%s](#%s)" % (_code(shown), anchor(kind, dotted))
        return _code(shown)


class Renderer:
    """Turns the module's documentation strings (Ansible markup) into Markdown."""

    def __init__(self, fqcn: str, options: Iterable[str], returns: Iterable[str]) -> None:
        self.context = Context(current_plugin=dom.PluginIdentifier(fqcn=fqcn, type="module"))
        self.formatter = MarkdownCells(fqcn, options, returns)

    def text(self, value: Any) -> str:
        """One paragraph (a string), or several (a list, joined by spaces), as Markdown."""
        if value is None:
            return ""
        if isinstance(value, list):
            return " ".join(self.text(v) for v in value)
        paragraphs = parse(str(value), self.context, errors="message")
        return to_md(paragraphs, formatter=self.formatter, par_sep=" ", par_empty="", current_plugin=self.context.current_plugin)


def _escape(text: str) -> str:
    """Plain text for a Markdown table cell or paragraph."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
    text = text.replace("*", "\\*").replace("`", "\\`")
    return re.sub(r"(^|\s)_|_(\s|$)", lambda m: m.group(0).replace("_", "\\_"), text)


def _code(text: str) -> str:
    """An inline code span, safe inside a table cell."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return "%s%s%s%s%s" % (fence, pad, text.replace("|", "\\|"), pad, fence)


def anchor(kind: str, dotted: str) -> str:
    return "%s-%s" % (kind, re.sub(r"[^a-z0-9_]+", "-", dotted.lower()).strip("-"))


def _value(value: Any) -> str:
    """A default, choice or sample as inline code (YAML/JSON spelling: true, null, ...)."""
    if isinstance(value, str):
        return _code(value) if value != "" else '`""`'
    return _code(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")))


def _cell(lines: Iterable[str]) -> str:
    return "<br>".join(line for line in lines if line)


def _documentation(filename: Path) -> Dict[str, Any]:
    """The DOCUMENTATION of a module or a doc fragment file (its first one), parsed."""
    for node in ast.walk(ast.parse(filename.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DOCUMENTATION" for t in node.targets
        ):
            return dict(yaml.safe_load(ast.literal_eval(node.value)) or {})
    return {}


def own_option_names(filename: str) -> List[str]:
    """The options written in the module file itself, then those of this collection's own doc
    fragments (not amazon.aws's), in written order."""
    doc = _documentation(Path(filename))
    names = list(doc.get("options") or {})
    fragments = Path(filename).resolve().parents[1] / "doc_fragments"
    for fragment in doc.get("extends_documentation_fragment") or []:
        if str(fragment).startswith("cloudhooks.aws."):
            names += list(_documentation(fragments / (str(fragment).rsplit(".", maxsplit=1)[-1] + ".py")).get("options") or {})
    return names


def ansible_doc(module: str, ansible_doc_bin: str, collections_path: str) -> Dict[str, Any]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path,
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_NOCOLOR="1",
    )
    proc = subprocess.run(
        [ansible_doc_bin, "--json", "-t", "module", module],
        env=env, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit("gen_docs: ansible-doc failed (exit %d):\n%s" % (proc.returncode, proc.stderr))
    data = json.loads(proc.stdout)
    if module not in data or not data[module].get("doc"):
        raise SystemExit("gen_docs: ansible-doc knows no documentation for %s:\n%s" % (module, proc.stderr))
    return data[module]


def render(module: str, info: Dict[str, Any]) -> str:
    doc = info["doc"]
    returns = info.get("return") or {}
    options = {k: v for k, v in (doc.get("options") or {}).items() if not k.startswith("_")}
    own = [k for k in own_option_names(doc["filename"]) if k in options]
    connection = sorted(k for k in options if k not in own)
    r = Renderer(module, _dotted(options, "suboptions"), _dotted(returns, "contains"))

    out: List[str] = []
    add = out.append
    add("# %s" % module)
    add("")
    add("<!-- Generated by scripts/gen_docs.py from the module's own documentation (ansible-doc --json).")
    add("     Do not edit: change plugins/modules/%s.py and run scripts/gen_docs.py. -->" % module.split(".")[-1])
    add("")
    add("%s." % r.text(doc.get("short_description", "")).rstrip("."))
    add("")
    if doc.get("version_added"):
        add("Added in version %s of %s." % (doc["version_added"], doc.get("version_added_collection") or doc.get("collection")))
        add("")
    if doc.get("has_action"):
        add("This module has a corresponding action plugin, which runs on the controller first.")
        add("")

    add("## Synopsis")
    add("")
    for para in _paragraphs(doc.get("description")):
        add("- " + r.text(para))
    add("")

    if doc.get("requirements"):
        add("## Requirements")
        add("")
        add("The below requirements are needed on the host that executes this module.")
        add("")
        for req in doc["requirements"]:
            add("- " + r.text(req))
        add("")

    add("## Options")
    add("")
    _options_table(out, r, options, own)
    if connection:
        add("### AWS connection options")
        add("")
        add("From amazon.aws's documentation fragments; they may also be set for the whole play with")
        add("`module_defaults` for `group/cloudhooks.aws.aws` (not `group/amazon.aws.aws`, which does not")
        add("reach this module).")
        add("")
        _options_table(out, r, options, connection)

    if doc.get("attributes"):
        add("## Attributes")
        add("")
        add("| Attribute | Support | Details |")
        add("|---|---|---|")
        for name, attribute in doc["attributes"].items():
            details = " ".join(r.text(d) for d in _paragraphs(attribute.get("details")))
            add("| %s | %s | %s |" % (name, attribute.get("support", ""), details.replace("|", "\\|")))
        add("")

    if doc.get("notes"):
        add("## Notes")
        add("")
        for note in doc["notes"]:
            add("- " + r.text(note))
        add("")

    if doc.get("seealso"):
        add("## See also")
        add("")
        for item in doc["seealso"]:
            add("- " + _seealso(r, item))
        add("")

    examples = (info.get("examples") or "").strip("\n")
    if examples:
        add("## Examples")
        add("")
        add("```yaml")
        add(examples)
        add("```")
        add("")

    if returns:
        add("## Return values")
        add("")
        add("Common return values are documented in Ansible's reference; these are the fields unique to")
        add("this module.")
        add("")
        add("| Key | Type | Returned | Description |")
        add("|---|---|---|---|")
        _return_rows(out, r, returns, "", "")
        add("")

    if doc.get("author"):
        add("## Authors")
        add("")
        for author in doc["author"]:
            add("- " + _escape(author))
        add("")
    return "\n".join(out).rstrip("\n") + "\n"


def _paragraphs(value: Any) -> List[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _dotted(entries: Dict[str, Any], child: str, prefix: str = "") -> List[str]:
    names: List[str] = []
    for name, data in (entries or {}).items():
        names.append(prefix + name)
        names.extend(_dotted((data or {}).get(child) or {}, child, prefix + name + "."))
    return names


def _options_table(out: List[str], r: Renderer, options: Dict[str, Any], names: List[str]) -> None:
    out.append("| Option | Type | Required | Default | Choices | Description |")
    out.append("|---|---|---|---|---|---|")
    for name in names:
        _option_rows(out, r, name, options[name], "")
    out.append("")


def _option_rows(out: List[str], r: Renderer, name: str, data: Dict[str, Any], prefix: str) -> None:
    dotted = prefix + name
    label = ['<a id="%s"></a>**%s**' % (anchor("option", dotted), _escape(dotted))]
    if data.get("aliases"):
        label.append("aliases: " + ", ".join(_code(a) for a in data["aliases"]))
    kind = data.get("type", "str")
    if data.get("elements"):
        kind = "%s of %s" % (kind, data["elements"])
    description = [r.text(p) for p in _paragraphs(data.get("description"))]
    default = _value(data["default"]) if "default" in data and data["default"] is not None else ""
    choices = ", ".join(_value(c) for c in data.get("choices") or [])
    out.append(
        "| %s | %s | %s | %s | %s | %s |"
        % (_cell(label), _escape(kind), "yes" if data.get("required") else "", default, choices, _cell(description))
    )
    for sub, subdata in (data.get("suboptions") or {}).items():
        _option_rows(out, r, sub, subdata, dotted + ".")


def _return_rows(out: List[str], r: Renderer, entries: Dict[str, Any], dotted: str, shown: str) -> None:
    """One row per return value; what a value contains follows it as parent.child (parent[].child
    for the elements of a list)."""
    for name, data in entries.items():
        key = dotted + name
        label = shown + name
        kind = data.get("type", "")
        if data.get("elements"):
            kind = "%s of %s" % (kind, data["elements"])
        description = [r.text(p) for p in _paragraphs(data.get("description"))]
        if "sample" in data:
            description.append("Sample: " + _value(data["sample"]))
        title = _escape(label) if dotted else "**%s**" % _escape(label)
        out.append(
            '| <a id="%s"></a>%s | %s | %s | %s |'
            % (anchor("return", key), title, _escape(kind), r.text(data.get("returned", "")), _cell(description))
        )
        if data.get("contains"):
            child_shown = label + ("[]." if data.get("type") == "list" else ".")
            _return_rows(out, r, data["contains"], key + ".", child_shown)


def _seealso(r: Renderer, item: Dict[str, Any]) -> str:
    description = r.text(item.get("description", ""))
    if "module" in item:
        text = "%s module" % _code(item["module"])
    elif "plugin" in item:
        text = "%s %s plugin" % (_code(item["plugin"]), item.get("plugin_type", ""))
    elif "ref" in item:
        text = _escape(item.get("name") or item["ref"])
    else:
        text = "[%s](%s)" % (_escape(item.get("name", item.get("link", ""))), item.get("link", ""))
    return text + (": " + description if description else "")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default=DEFAULT_MODULE)
    parser.add_argument("--output", type=Path, help="default: docs/<module name>.md in the repository")
    parser.add_argument("--check", action="store_true", help="fail if the file differs from what is rendered")
    parser.add_argument("--collections-path", default=str(ROOT / ".build" / "collections"))
    parser.add_argument("--ansible-doc", default=str(Path(sys.executable).parent / "ansible-doc"))
    args = parser.parse_args(argv)

    output = args.output or ROOT / "docs" / ("%s.md" % args.module.split(".")[-1])
    if not args.check:
        # Render from the working tree as it is now, not from an older laid-out copy.
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "lay_out_collections.py"), "--self", str(ROOT),
             "--dest", args.collections_path],
            check=True, stdout=subprocess.DEVNULL,
        )
    page = render(args.module, ansible_doc(args.module, args.ansible_doc, args.collections_path))
    if args.check:
        return check(output, page)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(page, encoding="utf-8")
    print("gen_docs: wrote %s" % output)
    return 0


def check(output: Path, page: str) -> int:
    """0 when `output` holds `page`; otherwise 1, with a diff and the command that fixes it."""
    current = output.read_text(encoding="utf-8") if output.is_file() else ""
    if current == page:
        print("gen_docs: %s matches the module" % output)
        return 0
    diff = difflib.unified_diff(
        current.splitlines(True), page.splitlines(True),
        fromfile="%s (committed)" % output, tofile="%s (from the module)" % output,
    )
    sys.stderr.write("".join(diff))
    sys.stderr.write("gen_docs: %s is out of date with the module; write it again with: "
                     "scripts/nox -s docs -- --write\n" % output)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
