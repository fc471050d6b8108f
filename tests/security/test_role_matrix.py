"""The role matrix: every query field and mutation that takes an object ID, called by the owner,
an admin, a member and a guest of organization A and by the owner of organization B, on real
objects of A (the member's, mostly), each outcome checked against ``role_matrix.MATRIX``.

The fields come from the schema the code builds, so a field added tomorrow fails here until its
row is written. Mutations run on fresh objects, and ``World.heal`` undoes what a wrongly allowed
call did to the accounts, so no row depends on another or on their order. A refused mutation
must leave every row of the database as it was; another organization's owner gets the same
answer for A's objects as for IDs that name nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.client import Api
from tests.security import calls
from tests.security.matrix import (
    FIXED_SLOTS,
    NOTHING,
    SELF,
    Case,
    fingerprint,
    is_self_case,
    made_up,
    prepare,
    run_call,
    slot_for,
)
from tests.security.role_matrix import MATRIX
from tests.security.world import FACTORIES, ROLES, World, build_world

FIELDS = calls.fields_with_ids()


@pytest.fixture(scope="module")
async def world(server: str) -> AsyncIterator[World]:
    async with Api(server) as api:
        yield await build_world(api)


def cases(name: str) -> list[Case]:
    entry = MATRIX.get(name)
    if entry is None:
        return []
    return entry if isinstance(entry, list) else [entry]


def test_every_field_taking_an_id_has_a_row() -> None:
    # Given the schema the code builds and the table
    missing = sorted(set(FIELDS) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(FIELDS))
    # Then every field taking an ID has a row, and no row names a field that takes none
    assert not missing, (
        f"No role-matrix row for {missing}: add one to tests/security/role_matrix.py with the "
        "outcome each role must get (run tests/security/test_role_matrix.py -k <field> to see "
        "what they get today, then decide what is right)."
    )
    assert not stale, f"Rows for fields that take no ID (or no longer exist): {stale}"


def test_rows_are_complete_and_leak_nothing_across_organizations() -> None:
    known_slots = {*FACTORIES, *FIXED_SLOTS, SELF, None}
    for name, (root, paths) in FIELDS.items():
        for case in cases(name):
            for path in paths:
                # Every ID input resolves to a slot the world knows (this raises with advice).
                assert slot_for(case, path, calls.return_type_name(root, name)) in known_slots, (
                    name,
                    path.dotted,
                )
            for role in ROLES:
                assert case.expected(role), (name, role)
            # Another organization's owner learns nothing: not found, null or empty. A case on
            # the caller's own user (``self``) is about the caller's own organization.
            if not is_self_case(case):
                assert case.stranger in NOTHING, f"{name}: stranger must get one of {NOTHING}"
    # And node lookups are covered for every Node type (a new type needs its case).
    covered = {c.ids.get("id") for c in cases("node")}
    from tests.security.matrix import NODE_SLOTS

    assert set(calls.node_type_names()) <= set(NODE_SLOTS), (
        "A Node type without a slot: add it to NODE_SLOTS in tests/security/matrix.py"
    )
    assert {NODE_SLOTS[t] for t in calls.node_type_names()} <= covered, (
        "A Node type without a `node` case in role_matrix.py"
    )


@pytest.mark.parametrize("name", sorted(FIELDS))
async def test_role_matrix(world: World, name: str) -> None:
    root, _ = FIELDS[name]
    rows = cases(name)
    failures: list[str] = []
    observed: list[str] = []
    for case in rows or [None]:
        got_row: list[str] = []
        for role in ROLES:
            # Given a call built from the schema, on fresh objects for a mutation
            probe = case or Case("?", "?", "?", "?", "?")
            query, variables, uploads, ids = await prepare(world, root, name, probe, role)
            expected = probe.expected(role)
            before = await fingerprint() if root == "Mutation" and expected != "OK" else None
            # When the role makes it
            judge = case.judge if case is not None else None
            got, detail = await run_call(world, role, query, variables, uploads, name, judge)
            got_row.append(got)
            # Then it gets the outcome of its row
            if case is not None and got != expected:
                failures.append(
                    f"{name} as {role}: expected {expected}, got {got} ({detail})"
                    f"\n    {query}\n    {variables}"
                )
            # And a refused mutation changed nothing
            if before is not None and got not in ("OK",):
                after = await fingerprint()
                if after != before:
                    changed = [b[0] for b, a in zip(before, after, strict=True) if a != b]
                    failures.append(f"{name} as {role}: refused ({got}) but changed {changed}")
            # And another organization cannot tell A's objects from IDs that name nothing
            if role == "stranger" and got == "NOT_FOUND" and case is not None:
                _, variables2, _, _ = await prepare_made_up(world, root, name, case, ids)
                got2, detail2 = await run_call(world, role, query, variables2, uploads, name)
                if (got2, detail2) != (got, detail):
                    failures.append(
                        f"{name}: existence oracle: A's object gives {got} {detail!r}, "
                        f"a made-up id gives {got2} {detail2!r}"
                    )
            await world.heal()
        observed.append(f"X({', '.join(got_row)})")
    assert rows, f"No role-matrix row for {name}; today's outcomes: {observed}"
    assert not failures, "\n".join(failures)


async def prepare_made_up(world: World, root: str, name: str, case: Case, ids: dict):  # type: ignore[no-untyped-def]
    values = {k: (v(world, world.slots) if callable(v) else v) for k, v in case.values.items()}
    variables, uploads = calls.build_variables(root, name, made_up(ids), values)
    return None, variables, uploads, None
