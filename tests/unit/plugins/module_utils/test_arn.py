# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Function names and ARNs: the forms Lambda's Invoke accepts, and which of them name one function."""

from __future__ import annotations

import pytest

from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import FunctionNameError
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import FunctionRef
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import parse_function_name
from ansible_collections.cloudhooks.aws.plugins.module_utils.arn import same_function

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fn", FunctionRef("fn")),
        ("my_fn.v2-x", FunctionRef("my_fn.v2-x")),
        ("fn:live", FunctionRef("fn", qualifier="live")),
        ("fn:$LATEST", FunctionRef("fn", qualifier="$LATEST")),
        ("123456789012:function:fn", FunctionRef("fn", account="123456789012")),
        ("123456789012:function:fn:7", FunctionRef("fn", account="123456789012", qualifier="7")),
        ("eu-west-1:123456789012:function:fn", FunctionRef("fn", account="123456789012", region="eu-west-1")),
        ("us-gov-west-1:123456789012:function:fn", FunctionRef("fn", account="123456789012", region="us-gov-west-1")),
        (ARN, FunctionRef("fn", "123456789012", "us-east-1", "aws")),
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:fn:prod",
         FunctionRef("fn", "123456789012", "cn-north-1", "aws-cn", "prod")),
    ],
)
def test_the_forms_lambda_accepts(text, expected):
    assert parse_function_name(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "function_name must be a non-empty string"),
        ("fn:", "ends with ':' and no version or alias after it"),
        (ARN + ":", "ends with ':' and no version or alias after it"),
        ("function:fn", "reads as the function 'function' with the qualifier 'fn'"),
        ("function:fn", "123456789012:function:fn"),
        ("arn:aws:lambda:us-east-1:123456789012:fn", "is not a Lambda function ARN"),
        ("arn:aws:s3:::bucket", "is not a Lambda function ARN"),
        ("12345:function:fn", "is not a name (my-function), a partial ARN"),
        ("my function", "is not a name"),
        ("a" * 65, "is not a name"),
        ("fn:a:b", "is not a name"),
    ],
)
def test_other_text_is_refused_with_a_true_message(text, message):
    with pytest.raises(FunctionNameError) as caught:
        parse_function_name(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith("function_name")


def test_the_message_names_the_option_it_is_given():
    with pytest.raises(FunctionNameError, match="^terraform_state function_name"):
        parse_function_name("fn:", option="terraform_state function_name")


@pytest.mark.parametrize(
    "a, b",
    [
        ("fn", "fn"),
        ("fn", "123456789012:function:fn"),
        ("fn", ARN),
        ("123456789012:function:fn", ARN),
        ("us-east-1:123456789012:function:fn", ARN),
        ("fn:live", "123456789012:function:fn:live"),
    ],
)
def test_same_function_in_any_form(a, b):
    first, second = b, a
    assert same_function(a, b) and same_function(first, second)


@pytest.mark.parametrize(
    "a, b",
    [
        ("fn", "fn2"),
        ("fn", "fn:live"),
        ("111111111111:function:fn", "222222222222:function:fn"),
        (ARN, ARN.replace("us-east-1", "eu-west-1")),
        (ARN, ARN.replace("arn:aws:", "arn:aws-cn:")),
        ("eu-west-1:123456789012:function:fn", ARN),
        ("fn:", "fn"),
        ("function:fn", "fn"),
    ],
)
def test_different_functions(a, b):
    first, second = b, a
    assert not same_function(a, b) and not same_function(first, second)
