"""Writes of dig-once coordination: owners, roadworks from files or the form, and notifications about matches.

Only planners and administrators write here (``by=None`` is the operator on the command line). Every write
is one transaction.

**Imports replace.** A valid file is the owner's current list of works: it replaces all of that owner's
earlier imported works in one transaction. An owner's export (a Baustellenkataster, a utility's programme)
is a snapshot in which finished, cancelled or moved works simply no longer appear; adding each file to the
last would keep them as stale works that raise false conflicts for years. Works are matched by the owner's
reference: a work whose reference is in the new file is updated in place (so the notifications already
sent about it stay attached), new references are added, and the owner's works that came from files and
are not in the new one are removed. Works entered in the form are never touched by an import, unless the
file names their reference (the owner's file is authoritative for its own references). An invalid file
changes nothing: only its RoadworksImport row with the report is stored.

**Notifications** go through the task queue (geoportal.mail.mail_enqueue, committed with the record) and
never inside the request's own sending. The record says to whom, what and when. The form carries a
one-time token (MatchNotification.token, unique): a second post of the same form, a double click, finds
the token taken and sends nothing. A provider's unpublished plan is confidential: the mail to the works'
owner then names neither the provider nor the area, only the place and the time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from coordination.importers import ROADWORKS_FIELDS, ValidatedWork, roadworks_validate
from coordination.matching import CONFLICT, Match
from coordination.models import MatchNotification, Roadworks, RoadworksImport, WorksOwner
from coordination.sectors import Sector
from coordination.selectors import notification_recipients
from geoportal.errors import InvalidInputError
from geoportal.mail import mail_enqueue
from layers.models import SRID, District
from rollout.pipeline import city_boundary, read_kept_file, require
from rollout.readers import Report
from rollout.roles import AnyUser, account, is_planner

logger = logging.getLogger(__name__)

# The messages of the errors raised here, for the German catalogue (the error pages translate them).
ERROR_MESSAGES = [
    gettext_noop("only the city's planners manage roadworks"),
    gettext_noop("an owner needs a name"),
    gettext_noop("the works end before they start"),
    gettext_noop("the dig ban ends before the works end"),
    gettext_noop("this owner already has works with this reference"),
    gettext_noop("nobody to notify: the owner has no contact e-mail and the provider's members have none"),
]


def _require_planner(by: AnyUser) -> None:
    require(is_planner(by), by, "only the city's planners manage roadworks")


@transaction.atomic
def works_owner_create(*, name: str, sector: str, contact_email: str, by: AnyUser) -> WorksOwner:
    _require_planner(by)
    name = name.strip()
    if not name:
        raise InvalidInputError("an owner needs a name", where="name")
    if sector not in Sector.values:
        raise InvalidInputError(f"unknown sector {sector!r}", where="sector")
    if WorksOwner.objects.filter(name__iexact=name).exists():
        raise InvalidInputError(f"an owner named {name!r} exists already", where="name")
    return WorksOwner.objects.create(name=name, sector=sector, contact_email=contact_email.strip())


def _mapping_for(owner: WorksOwner, mapping: dict | None) -> dict:
    """Use and remember a new mapping; otherwise the owner's saved one."""
    if not mapping:
        return dict(owner.field_mapping or {})
    unknown = set(mapping) - set(ROADWORKS_FIELDS) - {"crs"}
    if unknown:
        raise InvalidInputError(f"unknown mapping fields: {', '.join(sorted(unknown))}", where="mapping")
    cleaned = {k: v.strip() for k, v in mapping.items() if v and v.strip()}
    WorksOwner.objects.filter(pk=owner.pk).update(field_mapping=cleaned)
    return cleaned


@transaction.atomic
def roadworks_import(
    *, owner: WorksOwner, file: File, by: AnyUser, mapping: dict | None = None, today: date | None = None
) -> RoadworksImport:
    """Keep and check an owner's file; a valid one replaces the owner's imported works (module docstring)."""
    _require_planner(by)
    # One import of an owner at a time: the replacement reads and writes the owner's whole set.
    owner = WorksOwner.objects.select_for_update().get(pk=owner.pk)
    name = Path(file.name or "upload").name
    record = RoadworksImport(
        owner=owner, original_name=name, size=file.size or 0, received_at=timezone.now(), received_by=account(by)
    )
    report = Report()
    if record.size > settings.PLAN_UPLOAD_MAX_BYTES:
        report.error("file too large", field="file", value=record.size, expected=f"≤ {settings.PLAN_UPLOAD_MAX_BYTES}")
        return _import_finish(record, report)
    record.file.save(name, file, save=False)
    record.mapping = _mapping_for(owner, mapping)
    table = read_kept_file(record, report=report)
    works: list[ValidatedWork] = []
    if table is not None:
        works = roadworks_validate(
            table,
            mapping=record.mapping,
            default_sector=owner.sector,
            city=city_boundary(),
            report=report,
            today=today or timezone.localdate(),
        )
    if report.has_errors:
        return _import_finish(record, report)
    record.state = RoadworksImport.State.IMPORTED
    record.save()
    _replace(owner=owner, record=record, works=works, by=by)
    return _import_finish(record, report)


def _import_finish(record: RoadworksImport, report: Report) -> RoadworksImport:
    record.report = report.as_list()
    record.state = RoadworksImport.State.INVALID if report.has_errors else RoadworksImport.State.IMPORTED
    record.save()
    logger.info("roadworks import %s of %s: %s", record.pk, record.owner_id, record.state)
    return record


def _replace(*, owner: WorksOwner, record: RoadworksImport, works: list[ValidatedWork], by: AnyUser) -> None:
    """The owner's imported works become the file's: updated by reference, added, removed (bulk statements)."""
    existing = {w.reference: w for w in Roadworks.objects.filter(owner=owner).exclude(reference="")}
    keep: list[int] = []
    changed, added = [], []
    note = record.original_name[:300]
    for work in works:
        values = {
            "sector": work.sector,
            "title": work.title,
            "description": work.description,
            "geom": GEOSGeometry(memoryview(work.geom.wkb), srid=SRID),
            "start_date": work.start_date,
            "end_date": work.end_date,
            "dig_ban_until": work.dig_ban_until,
            "source": Roadworks.Source.IMPORT,
            "source_import": record,
            "source_note": note,
        }
        current = existing.get(work.reference) if work.reference else None
        if current is not None:
            for name, value in values.items():
                setattr(current, name, value)
            changed.append(current)
            keep.append(current.pk)
        else:
            added.append(Roadworks(owner=owner, reference=work.reference, created_by=account(by), **values))
    gone = Roadworks.objects.filter(owner=owner, source=Roadworks.Source.IMPORT).exclude(pk__in=keep)
    record.removed = gone.delete()[0]
    if changed:
        now = timezone.now()
        for current in changed:
            current.updated_at = now
        Roadworks.objects.bulk_update(changed, [*values, "updated_at"], batch_size=500)
    Roadworks.objects.bulk_create(added, batch_size=500)
    roadworks_districts_assign(owner_id=owner.pk)
    with connection.cursor() as cursor:
        # Fresh statistics for the matching's plans right away, not whenever autovacuum comes by.
        cursor.execute(f"ANALYZE {Roadworks._meta.db_table}")
    record.updated, record.created = len(changed), len(added)


def roadworks_districts_assign(*, owner_id: int | None = None, pk: int | None = None) -> int:
    """Set each work's Stadtteil (the one holding a point on it) in one statement: all works, an owner's, or one."""
    works, districts = Roadworks._meta.db_table, District._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {works} w SET district_id = (
                    SELECT d.id FROM {districts} d
                    WHERE d.level = %s AND ST_Intersects(d.geom, ST_PointOnSurface(w.geom)) ORDER BY d.id LIMIT 1)
                WHERE (%s::bigint IS NULL OR w.owner_id = %s) AND (%s::bigint IS NULL OR w.id = %s)""",
            [District.Level.QUARTER, owner_id, owner_id, pk, pk],
        )
        return cursor.rowcount


@dataclass(frozen=True)
class WorksInput:
    """What the form hands over for one work (cleaned by coordination.forms)."""

    owner: WorksOwner
    sector: str
    title: str
    description: str
    reference: str
    geom: GEOSGeometry
    start_date: date
    end_date: date
    dig_ban_until: date | None


def _check(data: WorksInput, *, instance: Roadworks | None) -> None:
    if data.end_date < data.start_date:
        raise InvalidInputError("the works end before they start", where="end_date")
    if data.dig_ban_until is not None and data.dig_ban_until < data.end_date:
        raise InvalidInputError("the dig ban ends before the works end", where="dig_ban_until")
    if data.reference:
        taken = Roadworks.objects.filter(owner=data.owner, reference=data.reference)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            raise InvalidInputError("this owner already has works with this reference", where="reference")


@transaction.atomic
def roadworks_create(*, data: WorksInput, by: AnyUser) -> Roadworks:
    _require_planner(by)
    _check(data, instance=None)
    works = Roadworks.objects.create(
        owner=data.owner,
        sector=data.sector,
        title=data.title,
        description=data.description,
        reference=data.reference,
        geom=data.geom,
        start_date=data.start_date,
        end_date=data.end_date,
        dig_ban_until=data.dig_ban_until,
        source=Roadworks.Source.FORM,
        created_by=account(by),
    )
    roadworks_districts_assign(pk=works.pk)
    return works


@transaction.atomic
def roadworks_update(*, roadworks: Roadworks, data: WorksInput, by: AnyUser) -> Roadworks:
    _require_planner(by)
    roadworks = Roadworks.objects.select_for_update().get(pk=roadworks.pk)
    _check(data, instance=roadworks)
    for name in ("owner", "sector", "title", "description", "reference", "geom", "start_date", "end_date"):
        setattr(roadworks, name, getattr(data, name))
    roadworks.dig_ban_until = data.dig_ban_until
    roadworks.save()
    roadworks_districts_assign(pk=roadworks.pk)
    return roadworks


@transaction.atomic
def roadworks_delete(*, roadworks: Roadworks, by: AnyUser) -> None:
    """Remove works; the notifications sent about them stay (with the works' title as it was)."""
    _require_planner(by)
    Roadworks.objects.filter(pk=roadworks.pk).delete()


@dataclass(frozen=True)
class NotificationSent:
    notification: MatchNotification
    new: bool  # False: this form had been sent already (a double click); nothing was sent again


@transaction.atomic
def match_notify(*, match: Match, token: uuid.UUID, message: str, by: AnyUser) -> NotificationSent:
    """Tell the works' owner and the provider's members about ``match`` by e-mail, once per form (token).

    ``match`` is read for the planner just before (coordination.selectors.match_get), so it is a match now.
    Mails are queued in this transaction: they go out exactly when the record is committed.
    """
    _require_planner(by)
    already = MatchNotification.objects.filter(token=token).first()
    if already is not None:
        return NotificationSent(already, new=False)
    recipients = notification_recipients(match=match)
    to_owner, to_provider = recipients["owner"], recipients["provider"]
    if not to_owner and not to_provider:
        raise InvalidInputError(
            "nobody to notify: the owner has no contact e-mail and the provider's members have none", where="recipients"
        )
    # The mails are in the site's language (German), whoever sends them.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _mail_subject(match)
        for_provider = _mail_text(match, message, confidential=False)
        for_owner = _mail_text(match, message, confidential=not match.published)
    try:
        with transaction.atomic():
            notification = MatchNotification.objects.create(
                token=token,
                kind=match.kind,
                roadworks_id=match.works_id,
                provider_id=match.provider_id,
                area_key=match.area_key,
                version_number=match.version_number,
                roadworks_title=match.works_title[:200],
                owner_name=match.owner_name[:200],
                provider_name=match.provider_name[:200],
                recipients=[*to_owner, *to_provider],
                subject=subject[:300],
                message=message,
                sent_at=timezone.now(),
                sent_by=account(by),
            )
            if to_owner:
                mail_enqueue(to=to_owner, subject=subject, text=for_owner)
            if to_provider:
                mail_enqueue(to=to_provider, subject=subject, text=for_provider)
    except IntegrityError:
        # The same form posted twice at once: the other request recorded (and queued) it.
        return NotificationSent(MatchNotification.objects.get(token=token), new=False)
    logger.info("match notification %s sent to %s recipients", notification.pk, len(notification.recipients))
    return NotificationSent(notification, new=True)


def _mail_subject(match: Match) -> str:
    if match.kind == CONFLICT:
        return _("Dig ban: planned fibre in %(place)s") % {"place": match.works_title}
    return _("Dig once: lay fibre together with %(place)s") % {"place": match.works_title}


def _mail_text(match: Match, message: str, *, confidential: bool) -> str:
    """The mail's text; ``confidential``: the provider's plan is not published, so it is not named."""
    from django.utils.formats import date_format

    def day(value: date | None) -> str:
        return date_format(value, "SHORT_DATE_FORMAT") if value else "—"

    lines = [_("Hello,"), ""]
    if match.kind == CONFLICT:
        lines.append(
            _("the city's coordination of roadworks found planned fibre construction in a street under a dig ban.")
        )
    else:
        lines.append(_("the city's coordination of roadworks found a chance to lay fibre together with other works."))
    lines += [
        "",
        _("Works: %(title)s (%(owner)s)") % {"title": match.works_title, "owner": match.owner_name},
        _("Period of the works: %(start)s to %(end)s") % {"start": day(match.start_date), "end": day(match.end_date)},
    ]
    if match.dig_ban_until:
        lines.append(_("Dig ban until: %(day)s") % {"day": day(match.dig_ban_until)})
    if confidential:
        lines.append(
            _("Planned fibre construction: %(start)s to %(end)s")
            % {"start": day(match.window_start), "end": day(match.window_end) if match.window_end else _("open")}
        )
    else:
        lines.append(
            _("Planned fibre: %(provider)s, area %(key)s, construction %(start)s to %(end)s")
            % {
                "provider": match.provider_name,
                "key": match.area_key,
                "start": day(match.window_start),
                "end": day(match.window_end) if match.window_end else _("open"),
            }
        )
    if match.kind == CONFLICT and match.overlap_start:
        lines.append(
            _("The dig ban and the construction overlap from %(start)s to %(end)s.")
            % {"start": day(match.overlap_start), "end": day(match.overlap_end)}
        )
    elif match.distance_m:
        lines.append(
            _("Distance between the works and the planned fibre: %(metres)s m") % {"metres": round(match.distance_m)}
        )
    if message.strip():
        lines += ["", _("Note from the city's planning:"), message.strip()]
    lines += ["", _("Please get in touch with each other and with the city's planning to coordinate the works."), ""]
    lines.append(_("Fibre portal of %(city)s") % {"city": settings.CITY_NAME})
    return "\n".join(lines)
