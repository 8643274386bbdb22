# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lambda function names and ARNs, parsed once.

The forms are those Lambda's Invoke accepts (botocore's ``NamespacedFunctionName`` pattern is
the reference):

- a name: ``my-function``
- a partial ARN: ``123456789012:function:my-function``
- a partial ARN with the region before it: ``us-east-1:123456789012:function:my-function``
- a full ARN: ``arn:aws:lambda:us-east-1:123456789012:function:my-function``

Each may end with ``:QUALIFIER`` (a version or alias). Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

_NAME = r"(?P<name>[a-zA-Z0-9_.-]{1,64})"
# A version or alias, as Invoke's Qualifier takes it (botocore: NumericLatestPublishedOrAliasQualifier).
QUALIFIER = r"\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_$-]{1,128}"
_QUALIFIER = r"(?::(?P<qualifier>%s))?" % QUALIFIER
_QUALIFIER_ONLY = re.compile(r"(?:%s)\Z" % QUALIFIER)
_REGION = r"(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)"
_ACCOUNT = r"(?P<account>\d{12})"

_FULL_ARN = re.compile(
    r"arn:(?P<partition>aws[a-zA-Z-]*):lambda:%s:%s:function:%s%s\Z" % (_REGION, _ACCOUNT, _NAME, _QUALIFIER)
)
_PARTIAL_ARN = re.compile(r"(?:%s:)?%s:function:%s%s\Z" % (_REGION, _ACCOUNT, _NAME, _QUALIFIER))
_PLAIN_NAME = re.compile(r"%s%s\Z" % (_NAME, _QUALIFIER))

FORMS = (
    "a name (my-function), a partial ARN (123456789012:function:my-function, optionally with the "
    "region before it) or an ARN (arn:aws:lambda:us-east-1:123456789012:function:my-function)"
)


def is_qualifier(text: object) -> bool:
    """Whether ``text`` is a version or alias that Lambda's Invoke accepts as its Qualifier."""
    return isinstance(text, str) and bool(_QUALIFIER_ONLY.match(text))


class FunctionNameError(ValueError):
    """The text is none of the forms Lambda accepts; the message names the option."""


@dataclass(frozen=True)
class FunctionRef:
    """A function as written: what the text says, None for what it leaves out."""

    name: str
    account: Optional[str] = None
    region: Optional[str] = None
    partition: Optional[str] = None
    qualifier: Optional[str] = None


def parse_function_name(text: str, option: str = "function_name") -> FunctionRef:
    """The parts of a function name or ARN; raise FunctionNameError naming ``option``."""
    if not isinstance(text, str) or not text.strip():
        raise FunctionNameError("%s must be a non-empty string" % option)
    if text.endswith(":"):
        raise FunctionNameError(
            "%s %r ends with ':' and no version or alias after it; remove the ':' (a version or alias "
            "goes in qualifier)" % (option, text)
        )
    for pattern in (_FULL_ARN, _PARTIAL_ARN, _PLAIN_NAME):
        match = pattern.match(text)
        if match:
            found = match.groupdict()
            ref = FunctionRef(
                name=found["name"],
                account=found.get("account"),
                region=found.get("region"),
                partition=found.get("partition"),
                qualifier=found.get("qualifier"),
            )
            if pattern is _PLAIN_NAME and ref.name == "function" and ref.qualifier:
                raise FunctionNameError(
                    "%s %r reads as the function 'function' with the qualifier %r: a partial ARN needs the "
                    "account ID before 'function:' (123456789012:function:%s); for the function %s "
                    "itself write just %s" % (option, text, ref.qualifier, ref.qualifier, ref.qualifier, ref.qualifier)
                )
            return ref
    if text.startswith("arn:"):
        raise FunctionNameError(
            "%s %r is not a Lambda function ARN (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME)" % (option, text)
        )
    raise FunctionNameError("%s %r is not %s" % (option, text, FORMS))


def same_function(a: str, b: str) -> bool:
    """Whether two names or ARNs name the same function.

    A part that only one of them gives (the account, region or partition that a plain name leaves
    out) does not count; a part both give must be equal. So ``fn``, ``123456789012:function:fn``
    and ``arn:aws:lambda:us-east-1:123456789012:function:fn`` are the same function, and two ARNs
    in different regions are not. A qualifier written into either must be the same in both.
    Text that is no valid form is never the same as anything.
    """
    try:
        left, right = parse_function_name(a), parse_function_name(b)
    except FunctionNameError:
        return False
    if left.name != right.name or left.qualifier != right.qualifier:
        return False
    for part in ("account", "region", "partition"):
        mine, theirs = getattr(left, part), getattr(right, part)
        if mine is not None and theirs is not None and mine != theirs:
            return False
    return True
