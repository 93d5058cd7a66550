"""Writes of school connectivity: the connection record and its history.

Every change of a school's connection goes through ``school_connection_update`` (the planners' form, the
admin, the demo generator, commands): it checks the values, writes the current record and appends one history
row in the same transaction, so "the status at any past date" is one query over the history
(schools.selectors.school_connections_as_of). No signals: the history is written here, explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from geoportal.errors import InvalidInputError, PermissionDeniedError
from rollout.models import Provider
from rollout.roles import AnyUser, account, is_planner
from schools.models import ConnectionFields, School, SchoolConnection, SchoolConnectionChange
from schools.vocabulary import ConnectionStatus, ConnectionTechnology, Funding

# Messages stay English (the API's language); gettext_noop marks the fixed ones so pages show them in German.
MAX_MBITS = 100_000  # 100 Gbit/s: more is a typo, not a school line


@dataclass(frozen=True)
class ConnectionState:
    """What a planner enters; ``valid_from`` None means "from today" (for a connection: from its date)."""

    status: str
    planned_date: date | None = None
    connected_date: date | None = None
    technology: str = ""
    contracted_down_mbits: int | None = None
    contracted_up_mbits: int | None = None
    provider: Provider | None = None
    provider_name: str = ""
    funding: str = ""
    note: str = ""


STATE_FIELDS = tuple(f.name for f in fields(ConnectionState))


def _check(state: ConnectionState, *, today: date) -> None:
    """Raise InvalidInputError naming the field of the first thing that is wrong."""
    if state.status not in ConnectionStatus.values:
        raise InvalidInputError(f"unknown status {state.status!r}", where="status")
    if state.technology and state.technology not in ConnectionTechnology.values:
        raise InvalidInputError(f"unknown technology {state.technology!r}", where="technology")
    if state.funding and state.funding not in Funding.values:
        raise InvalidInputError(f"unknown funding {state.funding!r}", where="funding")
    if state.status == ConnectionStatus.PLANNED and state.planned_date is None:
        raise InvalidInputError(
            gettext_noop("a planned connection needs the date it is expected"), where="planned_date"
        )
    if state.status == ConnectionStatus.CONNECTED:
        if state.connected_date is None:
            raise InvalidInputError(
                gettext_noop("a connected school needs the day it was connected"), where="connected_date"
            )
        if state.connected_date > today:
            raise InvalidInputError(gettext_noop("the day of connection lies in the future"), where="connected_date")
    for name in ("contracted_down_mbits", "contracted_up_mbits"):
        value = getattr(state, name)
        if value is not None and not 0 <= value <= MAX_MBITS:
            raise InvalidInputError(f"a bandwidth between 0 and {MAX_MBITS} Mbit/s, not {value}", where=name)
    if state.provider is not None and state.provider_name.strip():
        raise InvalidInputError(
            gettext_noop("either a registered provider or another provider's name, not both"), where="provider"
        )
    if len(state.provider_name) > 200:
        raise InvalidInputError("a provider's name has at most 200 characters", where="provider_name")


def _same(current: SchoolConnection, state: ConnectionState) -> bool:
    return all(
        (getattr(current, name + "_id") if name == "provider" else getattr(current, name))
        == (state.provider.pk if name == "provider" and state.provider else getattr(state, name))
        for name in STATE_FIELDS
    )


@transaction.atomic
def school_connection_update(
    *,
    school: School,
    state: ConnectionState,
    by: AnyUser,
    valid_from: date | None = None,
    changed_at: datetime | None = None,
    is_demo: bool = False,
) -> SchoolConnection:
    """Set the school's connection to ``state`` from ``valid_from`` on; a history row records the change.

    ``by`` is the planner (None: a command or the demo generator). History is kept in order: a change may not
    take effect before the current state did, so past days keep the status they were shown with. Saving the
    state the school already has writes nothing.
    """
    if by is not None and not is_planner(by):
        raise PermissionDeniedError(gettext_noop("only city planners and administrators change school connections"))
    changed_at = changed_at or timezone.now()
    current = SchoolConnection.objects.select_for_update().filter(school=school).first()
    if current is not None and _same(current, state):
        return current
    valid_from = school_connection_check(
        school=school, state=state, valid_from=valid_from, current=current, today=timezone.localdate(changed_at)
    )
    values = {name: getattr(state, name) for name in STATE_FIELDS}
    values["provider_name"] = values["provider_name"].strip()
    record = {
        **values,
        "valid_from": valid_from,
        "changed_at": changed_at,
        "changed_by": account(by),
        "is_demo": is_demo,
    }
    connection, _ = SchoolConnection.objects.update_or_create(school=school, defaults=record)
    SchoolConnectionChange.objects.create(school=school, **record)
    return connection


def school_connection_check(
    *, school: School, state: ConnectionState, valid_from: date | None = None,
    current: SchoolConnection | None = None, today: date | None = None,
) -> date:  # fmt: skip
    """Raise InvalidInputError (naming the field) unless ``state`` may be recorded from ``valid_from``; returns
    the day it takes effect. Writes nothing (forms call it to show the refusal at the field)."""
    today = today or timezone.localdate()
    _check(state, today=today)
    if current is None:
        current = SchoolConnection.objects.filter(school=school).first()
    if valid_from is None:
        # A connection holds from the day it was made, if that is not before the current state.
        valid_from = today
        if state.status == ConnectionStatus.CONNECTED and state.connected_date:
            valid_from = max(state.connected_date, current.valid_from if current else state.connected_date)
    if valid_from > today:
        raise InvalidInputError(gettext_noop("a change cannot take effect in the future"), where="valid_from")
    if current is not None and valid_from < current.valid_from:
        raise InvalidInputError(
            gettext_noop("a change cannot take effect before the current state does"), where="valid_from"
        )
    return valid_from


def connection_state_of(record: ConnectionFields) -> ConnectionState:
    """The state a record holds (to prefill a form, or to change one field of it)."""
    return ConnectionState(**{name: getattr(record, name) for name in STATE_FIELDS})
