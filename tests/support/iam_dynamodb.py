"""What DynamoDB each Lambda function's code asks of its tables, derived from the code (``ast``), for
the offline IAM proof (tests/unit/test_iam_dynamodb_permissions.py; the DRS proof's helpers are
tests/support/iam.py, whose import walk and template resolution this reuses).

- **Units.** Every top-level function or class of a module under ``handlers/`` or ``bot/`` (a class
  counts as one unit: a repository's methods together).
- **Table operations.** A unit calls a DynamoDB operation when it calls ``put_item``, ``get_item``,
  ``update_item``, ``delete_item``, ``query``, ``scan``, ``batch_get_item``, ``batch_write_item`` (or
  ``batch_writer``) or ``transact_write_items`` on a receiver that is a table (its expression names a
  table: ``self._table``, ``table``, ``aws.table("…")``, ``self._table.meta.client``), never on a
  project module. A ``query``/``scan`` with ``IndexName`` (a keyword, or a key of a dict literal of
  the unit that is passed as ``**kwargs``) acts on that index. A transaction is authorized as the
  item actions it holds (the ``Put``/``Update``/``Delete``/``ConditionCheck`` dict literals of the unit).
- **Tables.** A unit *binds* a table when it calls ``aws.table("<setting>")`` (a repository names its
  table setting in ``__init__``). Its operations, and those of the non-binding helpers it uses
  (``handlers/repositories/dynamo.py``'s ``query_account(table, …)``), act on that table. A unit that
  uses another binding unit (a service using a repository) adds nothing to it: the repository's
  operations are counted once, on its own table.
- **Who.** A function needs what every binding unit of a module its entry module imports
  (transitively, lazy imports included: :func:`tests.support.iam.import_closure`) does.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from typing import Any

from tests.support import iam
from tests.support.templates import resources

# boto3 method -> IAM action. A transaction is authorized as its items' actions (TRANSACT_ITEMS).
OPERATIONS = {
    "put_item": "dynamodb:PutItem",
    "get_item": "dynamodb:GetItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "batch_get_item": "dynamodb:BatchGetItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "batch_writer": "dynamodb:BatchWriteItem",
}
TRANSACTION = "transact_write_items"
TRANSACT_ITEMS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
TABLE_FACTORY = "handlers.aws.table"


@dataclass(frozen=True, order=True)
class TableCall:
    """One IAM action on a table (``index`` "": the table itself, else that index of it)."""

    action: str
    index: str = ""


@dataclass(frozen=True, order=True)
class TableNeed:
    """What a function needs: ``action`` on the table of setting ``setting`` (or its ``index``),
    because of ``unit`` (``module.Class`` or ``module.function``)."""

    setting: str
    action: str
    index: str
    unit: str


@dataclass
class _Unit:
    calls: set[TableCall] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)  # settings it binds (aws.table("…"))
    uses: set[str] = field(default_factory=set)
    owner: str = ""  # a method of a table-binding class: the class ("module.Class")


def _constants(tree: ast.Module) -> dict[str, str]:
    """The module's top-level ``NAME = "text"`` assignments."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    found[target.id] = node.value.value
    return found


def _text(node: ast.AST, constants: dict[str, str], where: str) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    raise ValueError(f"{where}: a name this helper cannot read: {ast.unparse(node)}")


def _is_table(receiver: ast.AST) -> bool:
    return "table" in ast.unparse(receiver).lower()


def _index(call: ast.Call, unit: ast.AST, constants: dict[str, str], where: str) -> str:
    for keyword in call.keywords:
        if keyword.arg == "IndexName":
            return _text(keyword.value, constants, where)
    if any(k.arg is None for k in call.keywords):  # **kwargs built in the unit
        for node in ast.walk(unit):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "IndexName":
                        return _text(value, constants, where)
    return ""


def _transaction_items(unit: ast.AST, where: str) -> set[TableCall]:
    kinds = {
        TableCall(TRANSACT_ITEMS[key.value])
        for node in ast.walk(unit)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and key.value in TRANSACT_ITEMS
    }
    if not kinds:
        raise ValueError(f"{where}: a transaction whose items this helper cannot read")
    return kinds


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _unit(
    module: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    imports: dict[str, str],
    constants: dict[str, str],
    siblings: set[str],
    owner: str = "",
    methods: frozenset[str] = frozenset(),
) -> _Unit:
    """What ``node`` calls on tables, which table it binds, and what it uses: project names through
    imports, its module's other top-level ``siblings`` by name, and for a method of the class
    ``owner`` its other ``methods`` as ``self.name``."""
    unit = _Unit(owner=owner)
    name = f"{owner or module}.{node.name}"
    for inner in ast.walk(node):
        used = iam._use(inner, imports)
        if used:
            unit.uses.add(used)
        elif isinstance(inner, ast.Name) and inner.id in siblings:
            unit.uses.add(f"{module}.{inner.id}")
        elif (
            isinstance(inner, ast.Attribute)
            and isinstance(inner.value, ast.Name)
            and inner.value.id == "self"
            and inner.attr in methods
        ):
            unit.uses.add(f"{owner}.{inner.attr}")
        if not isinstance(inner, ast.Call):
            continue
        if iam._use(inner.func, imports) == TABLE_FACTORY:
            unit.tables.add(_text(inner.args[0], constants, name))
            continue
        if not isinstance(inner.func, ast.Attribute) or not _is_table(inner.func.value):
            continue
        receiver, method = inner.func.value, inner.func.attr
        if isinstance(receiver, ast.Name) and receiver.id in imports:
            continue
        if method == TRANSACTION:
            unit.calls |= _transaction_items(node, name)
        elif method in OPERATIONS:
            index = _index(inner, node, constants, name) if method in ("query", "scan") else ""
            unit.calls.add(TableCall(OPERATIONS[method], index))
    if len(unit.tables) > 1:
        raise ValueError(f"{name} binds more than one table ({sorted(unit.tables)}): split the unit")
    return unit


def _units(module: str, tree: ast.Module) -> dict[str, _Unit]:
    """Top-level functions and classes; a class that binds a table is split into its methods
    (``module.Class.method``), each acting on the class's table."""
    imports = iam._imports(module, tree)
    constants = _constants(tree)
    top = {n.name for n in tree.body if isinstance(n, _DEFS)}
    found: dict[str, _Unit] = {}
    for node in tree.body:
        if not isinstance(node, _DEFS):
            continue
        name = f"{module}.{node.name}"
        whole = _unit(module, node, imports, constants, top - {node.name})
        if not (isinstance(node, ast.ClassDef) and whole.tables):
            found[name] = whole
            continue
        defs = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        methods = frozenset(n.name for n in defs)
        for method in defs:
            unit = _unit(module, method, imports, constants, top - {node.name}, name, methods - {method.name})
            unit.tables = set(whole.tables)
            found[f"{name}.{method.name}"] = unit
    return found


@functools.cache
def units() -> dict[str, _Unit]:
    return {k: v for m, t in iam._modules().items() for k, v in _units(m, t).items()}


def binding_classes() -> dict[str, set[str]]:
    """Table-binding class ("module.Class") -> its methods."""
    found: dict[str, set[str]] = {}
    for name, unit in units().items():
        if unit.owner:
            found.setdefault(unit.owner, set()).add(name.rpartition(".")[2])
    return found


@functools.cache
def table_calls() -> dict[str, tuple[str, frozenset[TableCall]]]:
    """Binding unit (a top-level function, or a method of a binding class) -> (its table setting,
    the calls it makes itself, through its class's other methods or through non-binding units)."""
    every = units()
    reach = {name: set(unit.calls) for name, unit in every.items()}
    changed = True
    while changed:
        changed = False
        for name, unit in every.items():
            for used in unit.uses:
                target = every.get(used)
                if target is None or (target.tables and not (unit.owner and target.owner == unit.owner)):
                    continue
                extra = reach[used] - reach[name]
                if extra:
                    reach[name] |= extra
                    changed = True
    return {
        name: (next(iter(unit.tables)), frozenset(reach[name])) for name, unit in every.items() if unit.tables
    }


def unbound_calls() -> dict[str, frozenset[TableCall]]:
    """Non-binding units calling DynamoDB that no binding unit uses: table calls on a table this
    derivation cannot name (outside the Lambdas' code, e.g. the backfill scripts' repository)."""
    every = units()
    used_by_binding: set[str] = set()
    pending = [u for name in table_calls() for u in every[name].uses]
    while pending:
        name = pending.pop()
        if name in used_by_binding or name not in every or every[name].tables:
            continue
        used_by_binding.add(name)
        pending += every[name].uses
    return {
        name: frozenset(unit.calls)
        for name, unit in every.items()
        if unit.calls and not unit.tables and name not in used_by_binding
    }


# ----------------------------------------------------------------------------- which methods are called

ALL_METHODS = "*"


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _in_annotation(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.arg) and parent.annotation is child:
            return True
        if isinstance(parent, ast.AnnAssign) and parent.annotation is child:
            return True
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef) and parent.returns is child:
            return True
        child, parent = parent, parents.get(parent)
    return False


def _bound_to(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> str | None:
    """The name or ``self.attr`` an instance ``call`` is assigned to (plainly or in a tuple), else None."""
    parent = parents.get(call)
    target: ast.AST | None = None
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
    elif isinstance(parent, ast.AnnAssign):
        target = parent.target
    elif isinstance(parent, ast.Tuple) and isinstance(parents.get(parent), ast.Assign):
        assign = parents[parent]
        assert isinstance(assign, ast.Assign)
        if len(assign.targets) == 1 and isinstance(assign.targets[0], ast.Tuple):
            target = assign.targets[0].elts[parent.elts.index(call)]
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return f"self.{target.attr}"
    return None


def _receiver(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return ""


@functools.cache
def methods_called(module: str) -> dict[str, frozenset[str]]:
    return {k: frozenset(v) for k, v in methods_in(module, iam._modules()[module]).items()}


def methods_in(module: str, tree: ast.Module) -> dict[str, set[str]]:
    """Binding class -> the methods ``module`` calls on its instances (``ALL_METHODS`` when an
    instance or the class itself goes anywhere else: passed on, stored, returned).

    Read per top-level unit: ``Class().method(…)``; ``name = Class()`` (or ``a, b = Class(), …``,
    ``self.name = Class()``) and then ``name.method(…)``. Annotations are not uses."""
    classes = binding_classes()
    imports = iam._imports(module, tree)
    aliases = {k: v for k, v in imports.items() if v in classes}
    own = (n for n in tree.body if isinstance(n, ast.ClassDef))
    aliases |= {n.name: f"{module}.{n.name}" for n in own if f"{module}.{n.name}" in classes}
    called: dict[str, set[str]] = {}
    for top in (n for n in tree.body if isinstance(n, _DEFS)):
        if f"{module}.{top.name}" in classes:
            continue  # its own methods: followed through ``self`` in table_calls
        parents = _parents(top)
        bound: dict[str, str] = {}  # name / self.attr -> class
        for node in ast.walk(top):
            if not (isinstance(node, ast.Name) and node.id in aliases) or _in_annotation(node, parents):
                continue
            cls, parent = aliases[node.id], parents.get(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                outer = parents.get(parent)
                if isinstance(outer, ast.Attribute) and isinstance(parents.get(outer), ast.Call):
                    called.setdefault(cls, set()).add(outer.attr)
                    continue
                name = _bound_to(parent, parents)
                if name:
                    bound[name] = cls
                    continue
            called.setdefault(cls, set()).add(ALL_METHODS)
        for node in ast.walk(top):
            name = _receiver(node)
            if name not in bound or isinstance(getattr(node, "ctx", None), ast.Store):
                continue
            parent = parents.get(node)
            if isinstance(parent, ast.Attribute) and isinstance(parents.get(parent), ast.Call):
                called.setdefault(bound[name], set()).add(parent.attr)
            elif not (
                isinstance(parent, ast.Attribute) and parent.value is node and name.startswith("self.")
            ):
                called.setdefault(bound[name], set()).add(ALL_METHODS)
    return called


def needs_of(entry: str) -> set[TableNeed]:
    """Every table call the modules ``entry`` imports make, on the table setting it acts on: a
    binding function's when its module is imported, a binding class's methods those modules call."""
    reached = iam.import_closure(entry)
    classes = binding_classes()
    methods: dict[str, set[str]] = {}
    for module in reached:
        for cls, found in methods_called(module).items():
            methods.setdefault(cls, set()).update(found)
    chosen: set[str] = set()
    for cls, called in methods.items():
        names = classes[cls] if ALL_METHODS in called else (called & classes[cls]) | {"__init__"}
        chosen |= {f"{cls}.{n}" for n in names}
    return {
        TableNeed(setting, call.action, call.index, unit)
        for unit, (setting, calls) in table_calls().items()
        if (unit in chosen if units()[unit].owner else unit.rpartition(".")[0] in reached)
        for call in calls
    }


# ----------------------------------------------------------------------------- the templates


def _env_name(setting: str) -> str:
    from handlers.core.settings import Settings

    alias = Settings.model_fields[setting].validation_alias
    return str(alias) if alias else setting.upper()


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(value["Ref"])] if set(value) == {"Ref"} else [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


@dataclass(frozen=True)
class Function:
    template: str
    function_id: str
    role_id: str
    entry: str
    environment: dict[str, Any]

    @property
    def principal(self) -> str:
        return f"arn:aws:iam::{iam.ACCOUNT}:role/{self.role_id}"

    def table_arn(self, setting: str) -> str | None:
        """The ARN of the table the function's environment names for ``setting`` (its variable is
        ``!Select [1, !Split ["/", !Ref <Table>Arn]]``), resolved as the DRS proof resolves parameters."""
        variable = self.environment.get(_env_name(setting))
        if variable is None:
            return None
        [parameter] = _refs(variable)
        return str(iam.resolve({"Ref": parameter}, iam.templates()[self.template]))

    def policies(self, template: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return iam.role_policies(template or iam.templates()[self.template], self.role_id)


def functions() -> dict[str, Function]:
    """Every Lambda function with a handler: function id -> its template, role, entry and variables."""
    found: dict[str, Function] = {}
    for name, template in iam.templates().items():
        for function_id, function in resources(template, "AWS::Lambda::Function").items():
            props = function["Properties"]
            if "Handler" not in props:
                continue
            role = props["Role"]["Fn::GetAtt"]
            role_id = role[0] if isinstance(role, list) else str(role).split(".")[0]
            entry = str(props["Handler"]).rpartition(".")[0]
            variables = dict(props.get("Environment", {}).get("Variables", {}))
            found[function_id] = Function(name, function_id, role_id, entry, variables)
    return found


def resource_of(function: Function, need: TableNeed) -> str:
    arn = function.table_arn(need.setting)
    if arn is None:
        return ""
    return f"{arn}/index/{need.index}" if need.index else arn


def requests_for(
    function: Function, needs: set[TableNeed], policies: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """One evaluator request per (action, resource) of ``needs``; id ``<function> <setting> <unit>``."""
    policies = function.policies() if policies is None else policies
    requests: dict[tuple[str, str], dict[str, Any]] = {}
    for need in sorted(needs):
        resource = resource_of(function, need)
        if (need.action, resource) not in requests:
            request = iam.Need(need.action, resource).request(
                f"{function.function_id} {need.setting} ({need.unit})", function.principal, policies
            )
            requests[(need.action, resource)] = request
    return list(requests.values())
