# -*- coding: utf-8 -*-
# Copyright: cloudhooks.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a record comes from when its store has none (docs/lifecycle.md, "Record stores" and
"Adopting Terraform state"), in this order:

1. with a file:// or s3:// store, the host's fact (a fact set to null, a forgotten record, stops
   the search), then an ansible-core 2.17/2.18 jsonfile cache file (``<prefix><host>``);
2. the task's terraform_state and terraform_address (not with state: forgotten).

Nothing is invoked for an adoption; the runner stores what it adopted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from ansible_collections.cloudhooks.aws.plugins.module_utils.options import FORGOTTEN
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Desired
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.model import Record
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import FactsStore
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.stores.facts import fact_name
from ansible_collections.cloudhooks.aws.plugins.plugin_utils.terraform_state import TerraformSource

FACT = "fact"
JSONFILE = "jsonfile"
TERRAFORM = "terraform_state"


@dataclass
class Adoption:
    """The places a record missing from the store is looked for, for one host."""

    host: str
    facts: Optional[FactsStore] = None  # the host's facts, when the records are kept elsewhere
    legacy: Callable[[], Optional[Mapping[str, Any]]] = lambda: None  # a 2.17/2.18 jsonfile file's facts
    terraform: Optional[TerraformSource] = None

    def find(self, record_id: str, key: Optional[str], desired: Desired) -> Tuple[Optional[Record], Optional[str]]:
        """(record, where it came from), or (None, None); raises LifecycleError or StoreError."""
        if self.facts is not None:
            stored = self.facts.read(self.host, record_id)
            if stored is not None:
                return Record.from_data(stored.document["record"]), FACT
            if not self.facts.knows(record_id):
                old = self.legacy() or {}
                value = old.get(fact_name(record_id))
                if value:
                    return Record.from_data(value), JSONFILE
        if self.terraform is not None and desired.state != FORGOTTEN:
            record = self.terraform.adopt(desired, key)
            if record is not None:
                return record, TERRAFORM
        return None, None


def legacy_jsonfile_facts(cache_dir: Optional[str], prefix: str, host: str) -> Optional[Dict[str, Any]]:
    """A host's facts from an ansible-core 2.17/2.18 jsonfile cache file (``<prefix><host>``), if any."""
    if not cache_dir:
        return None
    path = os.path.join(os.path.expanduser(cache_dir), "%s%s" % (prefix or "", host))
    try:
        with open(path, "r", encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and "__payload__" not in value else None
