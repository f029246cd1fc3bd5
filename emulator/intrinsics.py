"""CloudFormation's intrinsic functions, resolved for the local stack.

What a template's environment variables, stage names, route targets and integration URIs use:
``Ref`` (parameters with their defaults or given values, resources, the pseudo parameters),
``Fn::Sub`` (both forms), ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::FindInMap`` and ``Fn::If`` (its condition read from the template's ``Conditions``:
``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Condition``). A resource resolves to the
name its template gives it (``TableName``, ``BucketName``, ``FunctionName``), to the name
CloudFormation gave it when the stack's data resources are deployed (``deployed``), or else to a
local name, ``<stack>-<LogicalId>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["Resolver", "Unresolvable"]

ACCOUNT_ID = "000000000000"
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
#: The property in which a template names a resource itself (CloudFormation then uses it).
_NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::Lambda::Function": "FunctionName",
}


class Unresolvable(KeyError):
    """A name the template uses but does not declare (a ``KeyError``, as a lookup's)."""


class Resolver:
    """Resolves intrinsics against one template, one stack name and its parameters."""

    def __init__(
        self,
        doc: dict[str, Any],
        *,
        stack_name: str,
        region: str,
        parameters: dict[str, str],
        deployed: Mapping[str, str] | None = None,
    ) -> None:
        self._resources: dict[str, Any] = doc.get("Resources") or {}
        self._conditions: dict[str, Any] = doc.get("Conditions") or {}
        self._mappings: dict[str, Any] = doc.get("Mappings") or {}
        self._deployed = dict(deployed or {})
        self._stack = stack_name
        self._region = region
        self._params: dict[str, Any] = {
            name: spec.get("Default")
            for name, spec in (doc.get("Parameters") or {}).items()
            if isinstance(spec, dict)
        }
        self._params.update(parameters)
        self._pseudo: dict[str, Any] = {
            "AWS::StackName": stack_name,
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
            "AWS::NotificationARNs": [],
        }

    def physical_name(self, logical_id: str) -> str:
        """The name of a resource: CloudFormation's if deployed, else the one its template
        gives it, else the local one (lower case for a bucket, as S3 requires, the way
        CloudFormation names buckets)."""
        deployed = self._deployed.get(logical_id)
        if deployed:
            return deployed
        resource = self._resources.get(logical_id) or {}
        kind = str(resource.get("Type", ""))
        named = (resource.get("Properties") or {}).get(_NAME_PROPERTY.get(kind, ""))
        if named is not None:
            given = self.resolve(named)
            if isinstance(given, str) and given:
                return given
        name = f"{self._stack}-{logical_id}"
        return name.lower() if kind == "AWS::S3::Bucket" else name

    def arn(self, logical_id: str) -> str:
        kind = self._resources.get(logical_id, {}).get("Type", "")
        name = self.physical_name(logical_id)
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{self._region}:{ACCOUNT_ID}:table/{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        return f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:{name}"

    def _ref(self, name: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._params:
            return self._params[name]
        if name in self._resources:
            return self.physical_name(name)
        raise Unresolvable(f"Ref to unknown name {name!r}")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self._resources:
            raise Unresolvable(f"GetAtt of unknown resource {logical_id!r}")
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "StreamArn":
            return f"{self.arn(logical_id)}/stream/local"
        return f"{self.physical_name(logical_id)}.{attribute}"

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function replaced by its local result."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                return self._get_att(str(parts[0]), str(parts[1]))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                delimiter, items = arg
                return str(delimiter).join(str(self.resolve(i)) for i in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                delimiter, source = arg
                return str(self.resolve(source)).split(str(delimiter))
            if key == "Fn::FindInMap":
                name, top, second = (str(self.resolve(part)) for part in arg)
                try:
                    return self.resolve(self._mappings[name][top][second])
                except KeyError:
                    raise Unresolvable(
                        f"FindInMap of unknown entry {name}/{top}/{second}"
                    ) from None
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(str(name)) else when_false)
        return {k: self.resolve(v) for k, v in value.items()}

    def condition(self, name: str) -> bool:
        """The value of one of the template's ``Conditions``."""
        if name not in self._conditions:
            raise KeyError(f"unknown condition {name!r}")
        return self._truth(self._conditions[name])

    def _truth(self, value: Any) -> bool:
        ((key, arg),) = value.items()
        if key == "Condition":
            return self.condition(str(arg))
        if key == "Fn::Equals":
            left, right = (self.resolve(item) for item in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._truth(arg[0])
        if key == "Fn::And":
            return all(self._truth(item) for item in arg)
        if key == "Fn::Or":
            return any(self._truth(item) for item in arg)
        raise KeyError(f"unsupported condition function {key!r}")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name and name.split(".", 1)[0] in self._resources:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute)
            return str(self._ref(name))

        # ${!Literal} is CloudFormation's escape for a literal ${Literal}.
        return _SUB_VARIABLE.sub(replace, str(text)).replace("${!", "${")

    def referenced_resource(self, value: Any) -> str | None:
        """The logical id a Ref, GetAtt or Sub points at (the first resource a Sub names)."""
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and arg in self._resources:
                return str(arg)
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                return str(parts[0]) if parts[0] in self._resources else None
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                for name in _SUB_VARIABLE.findall(str(text)):
                    logical_id = name.split(".", 1)[0]
                    if logical_id in self._resources:
                        return logical_id
        return None
