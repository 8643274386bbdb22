# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terraform resource addresses (``module.db.aws_lambda_invocation.migrate[0]``), as Terraform prints
them: parsed into their module path, mode, type, name and instance key. Pure."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any, List, Optional, Tuple, Union

from ansible_collections.cloudhooks.aws.plugins.plugin_utils.jsonvalue import LifecycleError

ADDRESS_OPTION = "terraform_address"

EXAMPLES = (
    'aws_lambda_invocation.seed, aws_lambda_invocation.tenant["acme"] or '
    "module.db.aws_lambda_invocation.migrate[0]"
)

InstanceKey = Union[int, str]
ModulePath = Tuple[Tuple[str, Optional[InstanceKey]], ...]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_INDEX = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Address:
    """A resource (``key`` None) or resource instance address, parsed."""

    module: ModulePath
    mode: str  # "managed" or "data"
    type: str
    name: str
    key: Optional[InstanceKey] = None

    def resource(self) -> "Address":
        return replace(self, key=None)

    def __str__(self) -> str:
        parts = ["module.%s%s" % (name, key_text(key)) for name, key in self.module]
        parts.append(("data." if self.mode == "data" else "") + "%s.%s%s" % (self.type, self.name, key_text(self.key)))
        return ".".join(parts)


def key_text(key: Optional[InstanceKey]) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return "[%d]" % key
    return "[%s]" % json.dumps(key, ensure_ascii=False)


class _Reader:
    """A cursor over an address, for the few productions of Terraform's address syntax."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at(self, literal: str) -> bool:
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def ident(self) -> str:
        match = _IDENT.match(self.text, self.pos)
        if not match:
            raise ValueError("a name was expected at character %d" % (self.pos + 1))
        self.pos = match.end()
        return match.group(0)

    def key(self) -> Optional[InstanceKey]:
        if not self.at("["):
            return None
        value: InstanceKey
        match = _INDEX.match(self.text, self.pos)
        if match:
            value, self.pos = int(match.group(0)), match.end()
        elif self.text.startswith('"', self.pos):
            try:
                decoded, self.pos = json.JSONDecoder().raw_decode(self.text, self.pos)
            except ValueError as exc:
                raise ValueError("the quoted key at character %d is not closed or has a bad escape" % (self.pos + 1)) from exc
            value = str(decoded)
        else:
            raise ValueError("an index ([0]) or a quoted key ([\"a\"]) was expected at character %d" % (self.pos + 1))
        if not self.at("]"):
            raise ValueError("']' was expected at character %d" % (self.pos + 1))
        return value

    def modules(self) -> ModulePath:
        steps: List[Tuple[str, Optional[InstanceKey]]] = []
        while self.at("module."):
            steps.append((self.ident(), self.key()))
            if not self.at("."):
                break
        return tuple(steps)

    def end(self) -> None:
        if self.pos != len(self.text):
            raise ValueError("unexpected %r at character %d" % (self.text[self.pos:], self.pos + 1))


def parse_address(text: Any, option: str = ADDRESS_OPTION) -> Address:
    """A resource instance address as Terraform prints it; raise LifecycleError naming ``option``."""
    if not isinstance(text, str) or not text.strip():
        raise LifecycleError("%s must be a resource instance address such as %s" % (option, EXAMPLES))
    reader = _Reader(text.strip())
    try:
        module = reader.modules()
        mode = "data" if reader.at("data.") else "managed"
        type_ = reader.ident()
        if not reader.at("."):
            raise ValueError("'.' and the resource name were expected after %r" % type_)
        name = reader.ident()
        key = reader.key()
        reader.end()
    except ValueError as exc:
        raise LifecycleError(
            "%s %r is not a resource instance address (%s); write it as Terraform prints it, for example %s"
            % (option, text, exc, EXAMPLES)
        ) from exc
    return Address(module, mode, type_, name, key)


def module_path(text: Any) -> ModulePath:
    """The module path of a state resource ("" or absent for the root module)."""
    if not text:
        return ()
    if not isinstance(text, str):
        raise ValueError("a module address is not a string")
    reader = _Reader(text)
    module = reader.modules()
    reader.end()
    if not module:
        raise ValueError("bad module address %r" % text)
    return module
