"""Read the project's CloudFormation templates, so test resources match what production deploys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

CFN_DIR = Path(__file__).resolve().parents[2] / "cfn"


def load_template(name: str) -> dict[str, Any]:
    template, matches = decode(str(CFN_DIR / name))
    assert template is not None and not matches, matches
    return dict(template)


def setting_name(logical_id: str) -> str:
    """``ProtectionGroupsTable`` -> ``PROTECTION_GROUPS_TABLE`` (the env var the code reads)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id).upper()


def table_definitions() -> dict[str, dict[str, Any]]:
    """Every DynamoDB table in cfn/data.yaml, as ``create_table`` keyword arguments (minus name)."""
    tables: dict[str, dict[str, Any]] = {}
    for logical_id, resource in load_template("data.yaml")["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        kwargs: dict[str, Any] = {
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props["BillingMode"],
        }
        if "GlobalSecondaryIndexes" in props:
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        tables[logical_id] = kwargs
    return tables


def create_tables(dynamodb: Any, prefix: str = "test") -> dict[str, str]:
    """Create every table; returns env var name -> table name."""
    names: dict[str, str] = {}
    for logical_id, kwargs in table_definitions().items():
        env = setting_name(logical_id)
        name = f"{prefix}-{logical_id}"
        dynamodb.create_table(TableName=name, **kwargs)
        names[env] = name
    return names
