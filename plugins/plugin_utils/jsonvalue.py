# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON values as the collection sends, compares and stores them (docs/lifecycle.md, "Comparing",
"Payload encoding"): compact UTF-8, integers exact, key order kept; compared with keys sorted."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping, Optional


class LifecycleError(ValueError):
    """A user error: the message names the option and what is wrong with it."""


# Deeper than this, a value cannot be compared or sent: Python's JSON coder recurses once a level.
MAX_DEPTH = 500


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def same_json(a: Any, b: Any) -> bool:
    """Equal as parsed JSON: key order and white space do not count; 1 and true differ."""
    return canonical(a) == canonical(b)


def json_or_none(text: Optional[str]) -> Any:
    """A function's response parsed, when it is JSON (result_json); otherwise None."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def parse_input(raw: Any, option: str = "input") -> Any:
    """A string holds JSON and is parsed; anything else is taken as the JSON value itself.

    NaN, Infinity, numbers too large for a float (1e400) and values nested deeper than MAX_DEPTH
    are refused: the payload could not carry them as JSON, or this could not compare them.
    """
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8")
    if isinstance(raw, str):
        try:
            value = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
        except LifecycleError:
            raise
        except RecursionError:
            raise LifecycleError(_too_deep(option)) from None
        except ValueError as exc:
            raise LifecycleError("%s is not valid JSON: %s" % (option, exc)) from exc
        _check_depth(value, option)
        return value
    _check_depth(raw, option)
    return plain(raw, option)


def plain(value: Any, option: str) -> Any:
    """A JSON value made of plain types, keeping key order; refuse what JSON cannot hold."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return paired(str(value))
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LifecycleError("%s holds %r, which JSON cannot represent" % (option, value))
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise LifecycleError("%s has a non-string key %r; JSON object keys are strings" % (option, k))
            out[paired(str(k))] = plain(v, option)
        return out
    if isinstance(value, (list, tuple)):
        return [plain(v, option) for v in value]
    raise LifecycleError("%s holds a %s, which is not a JSON value" % (option, type(value).__name__))


def _check_depth(value: Any, option: str) -> None:
    """Refuse a value nested deeper than MAX_DEPTH, without recursing."""
    level = [value]
    for _depth in range(MAX_DEPTH + 1):
        nested = []
        for item in level:
            if isinstance(item, Mapping):
                nested.extend(item.values())
            elif isinstance(item, (list, tuple)):
                nested.extend(item)
        if not nested:
            return
        level = nested
    raise LifecycleError(_too_deep(option))


def _too_deep(option: str) -> str:
    return "%s is nested more than %d levels deep, which this module cannot compare or send; flatten it" % (
        option, MAX_DEPTH)


def _refuse_constant(name: str) -> Any:
    raise LifecycleError("input holds %s, which JSON cannot carry; give a number or a string" % name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise LifecycleError("input holds the number %s, too large for a float; give it as a string" % text)
    return number


def valid_unicode(text: str, option: str) -> str:
    """Refuse text that cannot be sent or stored as UTF-8 (a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LifecycleError("%s holds text that is not valid Unicode (%s)" % (option, exc.reason)) from exc
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def paired(text: str) -> str:
    """Text with each UTF-16 surrogate pair joined into the one character it stands for.

    ansible-core 2.18 turns a templated string that looks like a data structure into one by reading
    it as Python, so the JSON escape of an emoji (two surrogates) becomes two separate code points;
    json.loads would have joined them. A lone surrogate stays, and the payload refuses it.
    """
    if not _SURROGATE.search(text):
        return text
    try:
        return text.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        return text


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return "a %s" % type(value).__name__
