"""Which ``DomainError`` codes a function can raise, read from our own source (AST, no import).

The call graph covers our packages (``PACKAGES``): names are resolved through each module's
imports, calls and mere references (a function handed to another one may be called by it) are
followed transitively. A code is collected wherever a ``DomainError`` subclass is constructed,
raised or not: factories (``def too_deep() -> ValidationFailed``) and collected lists
(``errors.append(DomainError(...))``, then ``collect(errors)``) raise what they build. The code
is the ``code=`` argument, else the class's own ``code`` (inherited): a member of a domain's
``ErrorCode`` enum (``DriveErrorCode.NAME_TAKEN``), whose value is its name. A ``code=`` that is a
parameter takes the members callers pass (or its default), per call; one that is a local variable
takes the members it is assigned from, module constants included. A string literal where a code
belongs is reported, not counted: codes are the domains' enums.

What cannot be resolved is reported in ``Analysis.unresolved`` rather than guessed, so the test
can refuse to pass on an incomplete reading.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("graphql_schema", "resolvers", "models", "server", "subscriptions")
BASE = "resolvers.core.errors.DomainError"
CODES = "resolvers.core.errors.ErrorCode"
# Built from other errors' codes: what its parts were built with is already counted.
AGGREGATE = "resolvers.core.errors.DomainErrors"
CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")
FuncNode = ast.FunctionDef | ast.AsyncFunctionDef
Binding = frozenset[tuple[str, frozenset[str]]]


@dataclass
class Module:
    name: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)
    constants: dict[str, ast.expr] = field(default_factory=dict)
    package: str = ""


@dataclass
class Analysis:
    modules: dict[str, Module] = field(default_factory=dict)
    functions: dict[str, tuple[Module, FuncNode, str | None]] = field(default_factory=dict)
    classes: dict[str, tuple[Module, ast.ClassDef]] = field(default_factory=dict)
    unresolved: set[str] = field(default_factory=set)
    _memo: dict[tuple[str, Binding], frozenset[str]] = field(default_factory=dict)

    # --- index ------------------------------------------------------------------------------

    @classmethod
    def load(cls) -> Analysis:
        self = cls()
        for package in PACKAGES:
            for path in sorted((ROOT / package).rglob("*.py")):
                parts = path.relative_to(ROOT).with_suffix("").parts
                name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
                self._index(Module(name, ast.parse(path.read_text(), str(path))), path)
        return self

    def _index(self, module: Module, path: Path) -> None:
        self.modules[module.name] = module
        module.package = (
            module.name if path.name == "__init__.py" else module.name.rpartition(".")[0]
        )
        for node in module.tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                _imports(module.package, node, module.imports)
            elif isinstance(node, FuncNode):
                self.functions[f"{module.name}.{node.name}"] = (module, node, None)
            elif isinstance(node, ast.ClassDef):
                qual = f"{module.name}.{node.name}"
                self.classes[qual] = (module, node)
                for item in node.body:
                    if isinstance(item, FuncNode):
                        self.functions[f"{qual}.{item.name}"] = (module, item, qual)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        module.constants[target.id] = node.value

    # --- names ------------------------------------------------------------------------------

    def canonical(self, qual: str) -> str:
        """Follow re-exports (``from a import f`` in b, used as ``b.f``) to the definition."""
        for _ in range(10):
            if qual in self.functions or qual in self.classes or qual in self.modules:
                return qual
            head, _, last = qual.rpartition(".")
            if not head:
                return qual
            head = self.canonical(head)
            module = self.modules.get(head)
            if module is None or last not in module.imports:
                return f"{head}.{last}"
            qual = module.imports[last]
        return qual

    def resolve(self, module: Module, node: ast.expr, owner: str | None) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in ("self", "cls") and owner:
                return owner
            if node.id in module.imports:
                return self.canonical(module.imports[node.id])
            local = f"{module.name}.{node.id}"
            if local in self.functions or local in self.classes:
                return local
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(module, node.value, owner)
            if base is None:
                return None
            qual = self.canonical(f"{base}.{node.attr}")
            if base in self.classes and qual not in self.functions:
                return self._inherited(base, node.attr) or qual
            return qual
        return None

    def _inherited(self, cls: str, attr: str) -> str | None:
        for base in self.bases(cls):
            if f"{base}.{attr}" in self.functions:
                return f"{base}.{attr}"
        return None

    def bases(self, cls: str) -> list[str]:
        """``cls`` and its ancestors among our classes, nearest first."""
        found = [cls]
        module, node = self.classes[cls]
        for base in node.bases:
            qual = self.resolve(module, base, None)
            if qual in self.classes:
                found += self.bases(qual)
        return found

    def is_error(self, qual: str) -> bool:
        return qual in self.classes and BASE in self.bases(qual)

    def class_code(self, qual: str) -> str | None:
        """The ``code`` a class sets in its body (a literal or a constant), nearest first."""
        for cls in self.bases(qual):
            module, node = self.classes[cls]
            for item in node.body:
                if isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "code" for t in item.targets
                ):
                    code = self.constant(module, item.value)
                    if code is None or isinstance(item.value, ast.Constant):
                        self.unresolved.add(f"{cls}.code = {ast.unparse(item.value)}")
                    return code
        return None

    def member(self, module: Module, expr: ast.expr) -> str | None:
        """The code ``expr`` names when it is ``SomeErrorCode.MEMBER`` of one of our
        ``ErrorCode`` enums, the member declared in its class (its value is its name)."""
        if not isinstance(expr, ast.Attribute):
            return None
        cls = self.resolve(module, expr.value, None)
        if cls not in self.classes or CODES not in self.bases(cls):
            return None
        body = self.classes[cls][1].body
        declared = {
            t.id
            for n in body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        return expr.attr if expr.attr in declared else None

    def constant(self, module: Module, expr: ast.expr) -> str | None:
        """An enum member, a string literal, or a module constant (of this module or imported)
        holding one."""
        for _ in range(10):
            if (code := self.member(module, expr)) is not None:
                return code
            if isinstance(expr, ast.Constant):
                return expr.value if isinstance(expr.value, str) else None
            if not isinstance(expr, ast.Name):
                return None
            if expr.id in module.constants:
                expr = module.constants[expr.id]
                continue
            head, _, name = module.imports.get(expr.id, "").rpartition(".")
            if head not in self.modules or name not in self.modules[head].constants:
                return None
            module = self.modules[head]
            expr = module.constants[name]
        return None

    # --- codes ------------------------------------------------------------------------------

    def codes(self, qual: str, binding: Binding = frozenset()) -> frozenset[str]:
        """Every code the function ``qual`` (or what it calls) can raise."""
        key = (qual, binding)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = frozenset()  # a cycle adds nothing new
        module, func, owner = self.functions[qual]
        # Imports inside the function (to break import cycles) count like the module's.
        local = {}
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom):
                _imports(module.package, node, local)
        if local:
            module = Module(
                module.name,
                module.tree,
                {**module.imports, **local},
                module.constants,
                module.package,
            )
        bound = dict(binding)
        found: set[str] = set()
        # A called name is followed with the call's arguments, not once more as a reference.
        callees = {id(n.func) for n in ast.walk(func) if isinstance(n, ast.Call)}
        for node in ast.walk(func):
            if id(node) in callees:
                continue
            if isinstance(node, ast.Call):
                target = self.resolve(module, node.func, owner)
                if target is not None and self.is_error(target):
                    found |= self._constructed(module, func, owner, target, node, bound)
                elif target in self.functions:
                    found |= self.codes(
                        target, self._bind(module, func, owner, target, node, bound)
                    )
                elif target in self.classes:
                    for hook in ("__init__", "__post_init__"):
                        if f"{target}.{hook}" in self.functions:
                            found |= self.codes(f"{target}.{hook}")
            elif isinstance(node, ast.Raise) and node.exc is not None:
                # `raise SomeError` without a call raises the class's own code.
                target = self.resolve(module, node.exc, owner)
                if target is not None and self.is_error(target):
                    code = self.class_code(target)
                    found |= {code} if code else set()
            elif isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
                target = self.resolve(module, node, owner)
                if target in self.functions and target != qual:
                    found |= self.codes(target)
        self._memo[key] = frozenset(found)
        return self._memo[key]

    def _constructed(
        self,
        module: Module,
        func: FuncNode,
        owner: str | None,
        cls: str,
        call: ast.Call,
        bound: dict[str, frozenset[str]],
    ) -> set[str]:
        if cls == AGGREGATE:
            return set()
        arg = next((k.value for k in call.keywords if k.arg == "code"), None)
        if arg is None or (isinstance(arg, ast.Constant) and arg.value is None):
            code = self.class_code(cls)
            return {code} if code else set()
        values = self._strings(module, func, arg, bound)
        if not values or isinstance(arg, ast.Constant):
            where = f"{module.name}:{call.lineno}"
            self.unresolved.add(f"{where}: code={ast.unparse(arg)}")
        return values

    def _strings(
        self,
        module: Module,
        func: FuncNode,
        expr: ast.expr,
        bound: dict[str, frozenset[str]],
        seen: frozenset[str] | None = frozenset(),
    ) -> set[str]:
        """The codes an expression can hold: literals, bound parameters, and (unless ``seen`` is
        None: arguments of calls) local variables by what they are assigned from and module
        constants, looked through transitively."""
        if isinstance(expr, ast.Constant):
            return {expr.value} if isinstance(expr.value, str) and CODE.match(expr.value) else set()
        if (code := self.member(module, expr)) is not None:
            return {code}
        if isinstance(expr, ast.Name):
            if expr.id in bound:
                return set(bound[expr.id])
            if expr.id in _parameters(func):
                default = _default(func, expr.id)
                return self._strings(module, func, default, bound, None) if default else set()
            found: set[str] = set()
            if seen is None or expr.id in seen:
                return found
            seen = seen | {expr.id}
            for node in ast.walk(func):
                if isinstance(node, ast.Assign) and any(expr.id in _names(t) for t in node.targets):
                    found |= self._strings(module, func, node.value, bound, seen)
            if expr.id in module.constants:
                found |= self._strings(module, func, module.constants[expr.id], bound, seen)
            elif (imported := self.constant(module, expr)) is not None:
                found.add(imported)
            return found
        if seen is None:
            return set()
        found = set()
        for child in ast.iter_child_nodes(expr):
            if isinstance(child, ast.expr):
                found |= self._strings(module, func, child, bound, seen)
        return found

    def _bind(
        self,
        module: Module,
        func: FuncNode,
        owner: str | None,
        target: str,
        call: ast.Call,
        bound: dict[str, frozenset[str]],
    ) -> Binding:
        """String-valued arguments of a call, by the callee's parameter names."""
        callee = self.functions[target][1]
        params = [a.arg for a in callee.args.posonlyargs + callee.args.args]
        if params and params[0] in ("self", "cls") and self.functions[target][2]:
            params = params[1:]
        passed: dict[str, ast.expr] = dict(zip(params, call.args, strict=False))
        passed.update({k.arg: k.value for k in call.keywords if k.arg})
        binding = {}
        for name, value in passed.items():
            values = self._strings(module, func, value, bound, None)
            if values:
                binding[name] = frozenset(values)
        return frozenset(binding.items())


def _imports(package: str, node: ast.Import | ast.ImportFrom, into: dict[str, str]) -> None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            into[local] = alias.name if alias.asname else local
        return
    base = node.module or ""
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1])
        base = f"{base}.{node.module}" if node.module else base
    for alias in node.names:
        into[alias.asname or alias.name] = f"{base}.{alias.name}"


def _parameters(func: FuncNode) -> set[str]:
    args = func.args
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}


def _default(func: FuncNode, name: str) -> ast.expr | None:
    args = func.args
    positional = args.posonlyargs + args.args
    for arg, default in zip(
        positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
    ):
        if arg.arg == name:
            return default
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if arg.arg == name:
            return kw_default
    return None


def _names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
