# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ansible-core 2.22's porting guide changes, on the core the suite runs on (CLOUDHOOKS_CORE):
the values of no_log options in results, and facts that are no longer injected as variables."""

from __future__ import annotations

from lambda_e2e import CORE, compact, item_args

SECRET = "N0-L0g-Opt10n-7e2d"
MASKS_NO_LOG_VALUES = tuple(int(n) for n in CORE.split(".")) < (2, 22)


def test_a_no_log_options_value_in_the_input_is_masked_in_results_up_to_2_21_and_kept_from_2_22(functions, ansible):
    """docs/state.md, "Sensitive data": up to 2.21 the module's result has every occurrence of a
    no_log option's value replaced (so result_json and the record's result differ from what the
    function returned) while the record's input keeps it; from 2.22 the data is left as it is and
    only what Ansible displays is redacted."""
    fn = functions.deploy("no-log-option")
    run = ansible.run("no_log_option.yml", function_name=fn.name, secret=SECRET, env={"ANSIBLE_VERBOSITY": "1"})
    assert run.rc == 0, run.output
    assert fn.events() == [compact({"user": "app", "password": SECRET})]  # sent as given, on every core
    outcome, stored = run.outcome(), ansible.record("db-user")
    assert stored["input"] == {"user": "app", "password": SECRET}
    if MASKS_NO_LOG_VALUES:
        assert outcome["result_json"]["received"]["password"] == "********"
        assert SECRET not in stored["result"] and "********" in stored["result"]
    else:
        assert outcome["result_json"]["received"]["password"] == SECRET
        assert SECRET in stored["result"]
        assert SECRET not in run.stdout, run.output  # -v output included


def test_records_in_facts_are_found_with_inject_facts_as_vars_off(functions, ansible):
    """INJECT_FACTS_AS_VARS defaults to true only until ansible-core 2.24, and from 2.21 on reading
    an injected fact as a top-level variable is deprecated: the plugins read the record from
    ansible_facts, never from a top-level variable, so no deprecation is shown and turning the
    injection off changes nothing."""
    fn = functions.deploy("no-inject")
    env = {"ANSIBLE_INJECT_FACT_VARS": "False"}
    entry = item_args(fn, id="no-inject", lifecycle_scope="CRUD", input={"a": 1})
    first = ansible.run(invocations=[entry])  # the default: facts injected as variables too
    assert first.rc == 0 and first.item()["action"] == "create", first.output
    assert "DEPRECATION" not in first.output, first.output
    again = ansible.run(invocations=[entry], env=env)
    assert again.rc == 0 and again.item()["action"] == "none", again.output
    changed = ansible.run(invocations=[dict(entry, input={"a": 2})], env=env)
    assert changed.item()["action"] == "update", changed.output
    assert len(fn.events()) == 2 and '"prev_input":{"a":1}' in fn.events()[1]
