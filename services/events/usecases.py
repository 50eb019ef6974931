"""The use cases of the events service: load, let the domain decide, book, save with the events, answer.

Entrypoints (service.py for RPC, timers and events; ingress.py for the bus) call these; so does every test.
Domain refusals become the declared errors of services.common.errors here, and nowhere else.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from services.common import ids
from services.common.catalogue import announce
from services.common.clock import isoformat, utcnow
from services.common.contracts.partners import space_key
from services.common.errors import Conflict, Forbidden, NotFound, RuleBroken, ValidationFailed
from services.common.policy import EVERYTHING, Reader
from services.common.terms import term_bounds
from services.common.validation import load
from services.events import offers, schemas, transcript, volunteers
from services.events.domain import (
    CO_ORGANIZER,
    LEAD,
    MAY_ORGANIZE,
    ActivityRuleBroken,
    Actor,
    IllegalTransition,
    JointActivity,
    NotPermitted,
    Organizer,
)
from services.events.listing import CALENDAR_STATUSES, PUBLIC_STATUSES, calendar, decode_cursor, encode_cursor
from services.events.registration import (
    ActivityView,
    RegistrationRefused,
    Roster,
    new_attendee_token,
    participation_items,
)
from services.events.store import EventsStore
from services.events.venues import Venue, VenueNotYours, VenueRetired, VenueTaken
from services.events.views import activity_view, bookings_view

SCHEDULE = Actor("schedule")  # the clock acts for the coordination group
HOLD_GRACE = timedelta(minutes=5)  # a younger hold may belong to a write still under way: never taken as stale


@contextmanager
def rules(zone: str = "Asia/Shanghai") -> Iterator[None]:
    """Domain refusals as declared errors: the caller learns which field or state is at fault."""
    try:
        yield
    except ActivityRuleBroken as exc:
        raise RuleBroken(str(exc), {"field": exc.field or "_schema"}) from None
    except IllegalTransition as exc:
        raise Conflict(str(exc), {"status": exc.current, "wanted": exc.wanted}) from None
    except NotPermitted as exc:
        raise Forbidden(str(exc), {}) from None
    except VenueTaken as exc:
        taken = {k: isoformat(v) for k, v in exc.taken.items()}
        raise Conflict(exc.describe(ZoneInfo(zone)), {"field": "venue_id", "taken": taken}) from None
    except VenueNotYours as exc:
        raise Forbidden(str(exc), {"field": "venue_id"}) from None
    except VenueRetired as exc:
        raise RuleBroken(str(exc), {"field": "venue_id"}) from None
    except RegistrationRefused as exc:
        if exc.conflict:
            raise Conflict(str(exc), {"field": exc.field}) from None
        raise RuleBroken(str(exc), {"field": exc.field}) from None
    except KeyError as exc:
        raise NotFound(f"No {exc.args[0]} at this activity.", {"id": exc.args[0]}) from None


def view_of(activity: JointActivity) -> ActivityView:
    return ActivityView(activity_id=activity.id, title=activity.title, status=activity.status,
                        starts_at=activity.starts_at, ends_at=activity.ends_at, capacity=activity.capacity,
                        opens_at=activity.registration_opens_at, closes_at=activity.registration_closes_at,
                        audience=tuple(activity.audience))


def venue_view(venue: Venue) -> dict:
    """A venue as callers see it: who owns it (``partner_id``, none for library spaces) and whether it is open."""
    return {"id": venue.id, "name": venue.name, "kind": venue.kind, "partner_id": venue.partner_id,
            "capacity": venue.capacity, "address": venue.address,
            "status": "retired" if venue.retired else "open", "retired_at": venue.retired_at,
            "retired_reason": venue.retired_reason, "offered_by_partner": venue.offer_key is not None}


PROFILE_EVENTS = ("partner.registered", "partner.updated")  # what a partner is; the others: its standing

class EventsApp:
    def __init__(self, store: EventsStore, partners, *, retention_days: int = 180,
                 display_timezone: str = "Asia/Shanghai", clock: Callable[[], datetime] = utcnow,
                 task_reminder_days: float = 2, venue_holds_per_partner: int = 60):
        self.store, self.partners = store, partners
        self.venue_holds_per_partner = venue_holds_per_partner
        self.retention = timedelta(days=retention_days)
        self.task_reminder = timedelta(days=task_reminder_days)
        self.display_timezone = display_timezone
        self.now = clock

    # helpers ------------------------------------------------------------------------------------------------
    def _activity(self, activity_id: str) -> JointActivity:
        found = self.store.load(str(activity_id))
        if found is None:
            raise NotFound(f"No activity {activity_id}.", {"activity_id": activity_id})
        return found

    def _events(self, pairs: list[tuple[str, dict]], subject: str):
        return [announce(kind, data, subject=subject) for kind, data in pairs]

    def _partner(self, partner_id: str, field: str) -> dict:
        """The partner as the read model knows it; asks partners once if the model has not caught up."""
        known = self.store.partner(partner_id)
        if known is None:
            try:
                found = self.partners.get_partner(partner_id)
            except NotFound:
                raise RuleBroken(f"{partner_id} is not a registered partner.", {"field": field}) from None
            except Exception as exc:  # noqa: BLE001 - partners unreachable or failing: refuse, store nothing
                raise RuleBroken(f"Partner {partner_id} could not be checked: {type(exc).__name__}",
                                 {"field": field}) from None
            known = {"partner_id": found["id"], "name": found["name"], "level": found["level"],
                     "kind": found["kind"], "status": found["status"]}
            # with its place in the partner's history, so that a late event of an older status is not taken
            # over what was read here (else a partner approved by now would read as applied until more came)
            ordered = {"status_seq": found["status_seq"]} if "status_seq" in found else {}
            self.store.remember_partner(known | ordered)
        return known

    def standing_of(self, partner_id: str) -> str:
        """A partner's status as partners says it now (the read model may lag a suspension just made)."""
        try:
            return self.partners.get_partner(partner_id)["status"]
        except NotFound:
            return "unknown"

    def _organizer(self, partner_id: str, role: str, field: str, responsibility: str = "") -> Organizer:
        known = self._partner(partner_id, field)
        return Organizer(partner_id=partner_id, role=role, name=known["name"], level=known["level"],
                         responsibility=responsibility)

    def _statuses(self, activity: JointActivity) -> dict[str, str]:
        statuses = {}
        for organizer in activity.organizers:
            status = self._partner(organizer.partner_id, "organizers")["status"]
            if status not in MAY_ORGANIZE:
                status = self._confirmed_status(organizer.partner_id, status)
            statuses[organizer.partner_id] = status
        return statuses

    def _confirmed_status(self, partner_id: str, known: str) -> str:
        """Before refusing an organizer, ask partners itself: the read model may lag a decision just made."""
        try:
            return self.partners.get_partner(partner_id)["status"]
        except Exception:  # noqa: BLE001 - partners unreachable: the read model's answer stands
            return known

    def _venue(self, venue_id: str) -> Venue:
        venue = self.store.venue(venue_id)
        if venue is None:
            raise RuleBroken(f"No venue {venue_id}.", {"field": "venue_id"})
        return venue

    def _book(self, activity: JointActivity, actor: Actor) -> None:
        """Hold the activity's venue for its time (from its submission on); a hold left by a crash, by an old
        version or by a draft is let go. A partner holds at most ``venue_holds_per_partner`` future bookings."""
        starts, ends = activity.occupies()
        if not actor.is_coordination_group:
            self._within_quota(activity)

        def book(venue: Venue):
            holder = venue.holder_of(starts, ends, activity.id)
            if holder is not None and self._stale(holder, venue.id):
                venue.release(holder["activity_id"])
            venue.book(activity_id=activity.id, title=activity.title, organizer_id=activity.lead.partner_id,
                       organizer_name=activity.lead.name, starts_at=starts, ends_at=ends, now=self.now())
        with rules(self.display_timezone):
            self.store.change_venue(activity.venue_id, book)

    def _stale(self, holder: dict, venue_id: str) -> bool:
        """A hold whose activity no longer holds this venue at that time (or never came to be), once it is older
        than ``HOLD_GRACE`` (the activity's own write may still be on its way)."""
        if holder["booked_at"] >= self.now() - HOLD_GRACE:
            return False
        other = self.store.load(holder["activity_id"])
        return other is None or other.venue_id != venue_id or not other.holds_venue \
            or other.occupies() != (holder["starts_at"], holder["ends_at"])

    def _within_quota(self, activity: JointActivity) -> None:
        lead = activity.lead.partner_id
        held = self.store.holding_ids_of_lead(lead, self.now()) - {activity.id}
        if len(held) >= self.venue_holds_per_partner:
            raise Conflict(f"{lead} holds {len(held)} future venue bookings, the most a partner may hold "
                           f"({self.venue_holds_per_partner}); cancel one, or ask the coordination group.",
                           {"field": "venue_id", "quota": self.venue_holds_per_partner})

    def _choose_venue(self, venue_id: str, actor: Actor) -> Venue:
        """A venue named for an activity: it exists, takes bookings, and is the actor's to name (consent)."""
        venue = self._venue(venue_id)
        with rules(self.display_timezone):
            venue.check_chosen_by(actor.partner_id)
        return venue

    def _check_free(self, activity: JointActivity) -> None:
        """A draft holds nothing, but names only a venue free at its time when named (``VenueTaken``)."""
        venue = self._venue(activity.venue_id)
        holder = venue.holder_of(*activity.occupies(), activity.id)
        if holder is not None and not self._stale(holder, venue.id):
            with rules(self.display_timezone):
                raise VenueTaken(venue, holder)

    def _release(self, venue_id: str | None, activity_id: str) -> None:
        if venue_id and self.store.venue(venue_id) is not None:
            self.store.change_venue(venue_id, lambda venue: venue.release(activity_id) and None)

    # joint activities ---------------------------------------------------------------------------------------
    def _draft(self, payload: dict, activity_id: str, actor: Actor, origin: dict | None = None) -> JointActivity:
        data = load(schemas.ActivityDraft(), payload)
        lead_id = data.pop("lead_organizer")
        co_ids = data.pop("co_organizers")
        organizers = [self._organizer(lead_id, LEAD, "lead_organizer")]
        organizers += [self._organizer(pid, CO_ORGANIZER, "co_organizers") for pid in co_ids]
        if data.get("venue_id"):
            data.setdefault("venue", self._choose_venue(data["venue_id"], actor).name)
        data.setdefault("themes", [])
        data.setdefault("venue", None)
        try:
            activity = JointActivity.draft(activity_id, organizers=organizers, now=self.now(), **data)
        except ActivityRuleBroken as exc:
            raise ValidationFailed(str(exc), {"errors": {exc.field or "_schema": [str(exc)]}}) from None
        activity.origin = dict(origin or {})
        return activity

    def create(self, payload: dict, actor: Actor) -> dict:
        activity = self._draft(payload, ids.new_id("act"), actor)
        if not (actor.is_coordination_group or actor.partner_id == activity.lead.partner_id):
            raise Forbidden("A partner drafts activities it leads.", {"field": "lead_organizer"})
        return self._add_draft(activity)

    def create_submitted(self, payload: dict, actor: Actor, activity_id: str, origin: dict) -> tuple[dict, bool]:
        """Draft and submit in one write (the ingress); the same id twice changes nothing. (activity, created)."""
        existing = self.store.get(activity_id)
        if existing is not None:
            return existing, False
        activity = self._draft(payload, activity_id, actor, origin)
        if not (actor.is_coordination_group or actor.partner_id == activity.lead.partner_id):
            raise Forbidden(f"The sender is bound to {actor.partner_id}; it may submit only activities it leads.",
                            {"field": "lead_organizer"})
        with rules():
            step = activity.submit(self.now(), actor)
        if activity.venue_id:
            self._book(activity, actor)
        created = self.store.add_once(activity, self._events([("activity.submitted", step)], activity.id))
        return self.store.get(activity_id), created

    def _add_draft(self, activity: JointActivity) -> dict:
        """A new draft: it holds no venue (that comes with its submission), but names only a free one."""
        if activity.venue_id:
            self._check_free(activity)
        self.store.add(activity)
        return self.store.get(activity.id)

    def add_occurrence(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        """The next occurrence of a series (a lecture series): a new draft at another time."""
        data = load(schemas.Occurrence(), payload)
        source = self._activity(activity_id)
        series = source.series or source.id
        earlier = self.store.count_in_series(series) + (1 if source.series is None else 0)
        with rules():
            activity = source.occurrence_at(ids.new_id("act"), number=earlier + 1, now=self.now(), actor=actor,
                                            **data)
        created = self._add_draft(activity)
        if source.series is None:  # only once the new occurrence exists: a refusal changes nothing
            self.store.change(source.id, lambda a: a.join_series(series, actor))
        return created

    def organizers_of(self, activity_id: str) -> list[dict]:
        """``[{partner_id, role}]`` of an activity (the policy's ownership facts); ``NotFound`` if there is none."""
        return [{"partner_id": org.partner_id, "role": org.role} for org in self._activity(activity_id).organizers]

    def get(self, activity_id: str, reader: Reader = EVERYTHING) -> dict:
        """The activity as ``reader`` sees it (views.py; by default whole, for the services themselves)."""
        found = self.store.get(str(activity_id))
        if found is None:
            raise NotFound(f"No activity {activity_id}.", {"activity_id": activity_id})
        return activity_view(found, reader)

    def _step(self, activity_id: str, kind: str, act: Callable[[JointActivity], dict],
              applied_event: str | None = None) -> dict:
        def change(activity: JointActivity):
            return self._events([(kind, act(activity))], activity.id)
        with rules():
            changed = self.store.change(str(activity_id), change, applied_event=applied_event)
        return changed if changed is not None else self.get(activity_id)

    def submit(self, activity_id: str, actor: Actor) -> dict:
        """Ask for approval; from now on the activity holds its venue (a refusal to hold it changes nothing)."""
        def submit(activity: JointActivity) -> dict:
            step = activity.submit(self.now(), actor)
            if activity.holds_venue:
                self._book(activity, actor)
            return step
        return self._step(activity_id, "activity.submitted", submit)

    def approve(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.Decision(), payload or {})
        statuses = self._statuses(self._activity(activity_id))
        return self._step(activity_id, "activity.approved",
                          lambda a: a.approve(self.now(), actor, data["comments"], statuses))

    def return_for_changes(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.Return(), payload)
        return self._step(activity_id, "activity.returned",
                          lambda a: a.return_for_changes(self.now(), actor, data["reasons"], data["comments"]))

    def publish(self, activity_id: str, actor: Actor, applied_event: str | None = None) -> dict:
        statuses = self._statuses(self._activity(activity_id))
        return self._step(activity_id, "activity.published", lambda a: a.publish(self.now(), actor, statuses),
                          applied_event)

    def start(self, activity_id: str, actor: Actor) -> dict:
        return self._step(activity_id, "activity.started", lambda a: a.start(self.now(), actor))

    def complete(self, activity_id: str, actor: Actor) -> dict:
        roster = self.store.roster(str(activity_id))
        attendance = roster.attendance()
        attendance["no_show"] += sum(1 for r in roster.registrations if r["state"] == "confirmed")
        done = self._step(activity_id, "activity.completed", lambda a: a.complete(self.now(), actor, attendance))
        self.store.change_roster(str(activity_id), lambda roster: roster.mark_no_shows() and None)
        return done

    def archive(self, activity_id: str, actor: Actor) -> dict:
        return self._step(activity_id, "activity.archived", lambda a: a.archive(self.now(), actor))

    def cancel(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.Cancellation(), payload)
        done = self._step(activity_id, "activity.cancelled", lambda a: a.cancel(self.now(), actor, data["reason"]))
        self._release(done.get("venue_id"), done["id"])
        return done

    def postpone(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.Postponement(), payload)

        def postpone(activity: JointActivity) -> dict:
            step = activity.postpone(self.now(), actor, data["reason"], data["new_starts_at"], data["new_ends_at"])
            if activity.holds_venue and data["new_starts_at"]:
                self._book(activity, actor)
            return step
        done = self._step(activity_id, "activity.postponed", postpone)
        if not data["new_starts_at"] or not self._activity(activity_id).holds_venue:
            self._release(done.get("venue_id"), done["id"])
        return done

    def edit(self, activity_id: str, payload: dict, actor: Actor, expected_rev: int | None = None) -> dict:
        data = load(schemas.ActivityEdit(), payload)
        waive = data.pop("waive_reapproval")
        before = self._activity(activity_id)
        if data.get("venue_id"):
            chosen = self._venue(data["venue_id"]) if data["venue_id"] == before.venue_id else \
                self._choose_venue(data["venue_id"], actor)
            data.setdefault("venue", chosen.name)

        def edit(activity: JointActivity):
            outcome = activity.edit(data, self.now(), actor, waive)
            moved = {"venue_id", "starts_at", "ends_at", "setup_minutes", "teardown_minutes"} & set(outcome["changes"])
            if activity.holds_venue and moved:
                self._book(activity, actor)
            elif activity.venue_id and moved:
                self._check_free(activity)
            events = []
            if outcome["sent_back"]:
                events.append(("activity.submitted", activity.step_data("published" if activity.published_at
                                                                    else "approved", actor, self.now())))
            if outcome["changes"] and activity.published_at is not None:
                events.append(("activity.updated", activity.updated_data(outcome["changes"], outcome["sent_back"])))
            return self._events(events, activity.id)
        with rules():
            changed = self.store.change(str(activity_id), edit, expected_rev=expected_rev)
        if before.venue_id and before.venue_id != changed.get("venue_id"):
            self._release(before.venue_id, changed["id"])
        if "capacity" in data and changed["status"] == "published":
            self._promote(self._activity(activity_id))
        return changed

    def add_co_organizer(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.CoOrganizer(), payload)
        organizer = self._organizer(data["partner_id"], CO_ORGANIZER, "partner_id", data["responsibility"])
        status = self._partner(data["partner_id"], "partner_id")["status"]
        def add(activity: JointActivity):
            changes = activity.add_co_organizer(organizer, actor, status)
            if activity.published_at is None:
                return []
            return self._events([("activity.updated", activity.updated_data(changes, False))], activity.id)
        with rules():
            return self.store.change(str(activity_id), add)

    def _set_part(self, activity_id: str, change: Callable[[JointActivity], dict | None],
                  expected_rev: int | None = None) -> dict:
        """Replace an organizer's part; a real change is announced so that the lead hears of it."""
        def apply(activity: JointActivity):
            changed = change(activity)
            return self._events([("activity.organizer_updated", changed)] if changed else [], activity.id)
        with rules():
            return self.store.change(str(activity_id), apply, expected_rev=expected_rev)

    def set_contributions(self, activity_id: str, partner_id: str, payload: dict, actor: Actor,
                          expected_rev: int | None = None) -> dict:
        data = load(schemas.Contributions(), payload)
        return self._set_part(activity_id, lambda a: a.set_contributions(partner_id, data["contributions"], actor,
                                                                         self.now()), expected_rev)

    def set_tasks(self, activity_id: str, partner_id: str, payload: dict, actor: Actor,
                  expected_rev: int | None = None) -> dict:
        data = load(schemas.Tasks(), payload)
        return self._set_part(activity_id, lambda a: a.set_tasks(partner_id, data["tasks"], actor, self.now()),
                              expected_rev)

    # listings -----------------------------------------------------------------------------------------------
    def _find(self, query: dict | None, *, cap: int | None = None, statuses: tuple[str, ...] = PUBLIC_STATUSES,
              schema: type[schemas.ActivityFilter] = schemas.ActivityFilter) -> tuple[list[dict], int]:
        criteria = load(schema(), query or {})
        limit = cap or criteria.pop("limit")
        criteria.pop("limit", None)
        cursor = criteria.pop("cursor", None)
        try:
            after_key = decode_cursor(cursor) if cursor else None
        except ValueError as exc:
            raise ValidationFailed(str(exc), {"errors": {"cursor": [str(exc)]}}) from None
        return self.store.find(**criteria, after_key=after_key, statuses=statuses, limit=limit), limit

    def listing(self, query: dict | None, reader: Reader = EVERYTHING) -> dict:
        """A page of activities, each as ``reader`` sees it (the same view as ``get``)."""
        items, limit = self._find(query)
        next_cursor = encode_cursor(self.store.sort_key_of(items[-1])) if len(items) == limit else None
        return {"items": [activity_view(item, reader) for item in items], "next_cursor": next_cursor}

    def calendar(self, query: dict | None) -> str:
        """The published activities, and those published once and then cancelled or postponed.

        Public (no key): only calendar states may be asked for, and nothing personal is in an entry.
        """
        criteria = {k: v for k, v in (query or {}).items() if k not in ("limit", "cursor")}
        items, _ = self._find(criteria, cap=2000, statuses=CALENDAR_STATUSES, schema=schemas.CalendarFilter)
        items = [item for item in items if item.get("published_at") is not None]
        return calendar(items, display_zone=self.display_timezone, now=self.now()).decode("utf-8")

    # venues -------------------------------------------------------------------------------------------------
    def register_venue(self, payload: dict) -> dict:
        data = load(schemas.VenueRegistration(), payload)
        if data["partner_id"]:
            self._partner(data["partner_id"], "partner_id")
        venue = Venue(id=ids.new_id("ven"), created_at=self.now(), **data)
        self.store.add_venue(venue)
        return self.venue(venue.id)

    def venue(self, venue_id: str, reader: Reader = EVERYTHING) -> dict:
        """A venue with its bookings as ``reader`` sees them: others' as busy times only (views.py)."""
        found = self.store.venue(str(venue_id))
        if found is None:
            raise NotFound(f"No venue {venue_id}.", {"venue_id": venue_id})
        return dict(venue_view(found), bookings=bookings_view(found.bookings, self.store.holders, reader))

    def venues(self) -> dict:
        return {"items": [venue_view(venue) for venue in self.store.list_venues()]}

    def _keep_offers(self, data: dict) -> None:
        """Keep the venues of the spaces a partner offers in step with its newest profile and its standing.

        The newest profile is kept per partner (``partner_offers``); the venues follow it, whichever event came
        last. Should a newer profile be stored while the venues follow an older one, they follow again.
        """
        partner_id = data["partner_id"]
        if "spaces" in data:
            self.store.remember_offer(partner_id, data["spaces"], data.get("profile_seq", 0))
        offer = self.store.offer_of(partner_id)
        for _ in range(5):
            self._follow_offer(partner_id, offer, data["status"], data.get("status_seq"))
            latest = self.store.offer_of(partner_id)
            if latest == offer:
                return
            offer = latest

    def _follow_offer(self, partner_id: str, offer: dict | None, status: str, status_seq: int | None) -> None:
        now = self.now()
        spaces = {space_key(space["name"]): space for space in (offer or {}).get("spaces", [])}

        def learn(space: dict | None):
            def change(venue: Venue) -> None:
                if offer is not None:
                    offers.learn_offer(venue, space, offer["profile_seq"])
                offers.learn_standing(venue, status, status_seq)
                offers.settle(venue, now)
            return change
        for space in spaces.values():
            venue = offers.new_venue(partner_id, space, now)
            learn(space)(venue)
            if not self.store.add_venue_once(venue):
                self.store.change_venue(venue.id, learn(space))
        for venue in self.store.offered_venues_of(partner_id):
            if venue.offer_key not in spaces:
                self.store.change_venue(venue.id, learn(None))

    # registration -------------------------------------------------------------------------------------------
    def _kept_until(self, activity: JointActivity) -> str:
        return isoformat(activity.ends_at + self.retention)

    def _shown(self, item: dict, activity: JointActivity) -> dict:
        """A registration or volunteer sign-up as the API shows it."""
        return dict(item, activity_id=activity.id, personal_data_kept_until=self._kept_until(activity))

    def _registration(self, item: dict, activity: JointActivity, roster: Roster,
                      positions: dict[str, int] | None = None) -> dict:
        """A registration as the API shows it: never the hash of its attendee token; its place on the waitlist
        (from ``positions`` when showing many: the waitlist is ordered once, not once a registration)."""
        shown = self._shown({k: v for k, v in item.items() if k != "attendee_hash"}, activity)
        positions = roster.waitlist_positions() if positions is None else positions
        return dict(shown, waitlist_position=positions.get(item["registration_id"]))

    def _promote(self, activity: JointActivity) -> None:
        view = view_of(activity)
        self.store.change_roster(activity.id, lambda r: self._events(r.promote(view, self.now()), activity.id))

    def register(self, activity_id: str, payload: dict,
                 hand_over: Callable[[str, str], None] | None = None) -> dict:
        """Register; ``hand_over(registration_id, token)`` gives the attendee token to whoever emails it, before
        the registration is announced (the events carry no token; an unused token is useless: no hash of it)."""
        data = load(schemas.RegistrationRequest(), payload)
        activity = self._activity(activity_id)
        view = view_of(activity)
        person = {k: data[k] for k in ("person_id", "email", "language")}
        registration_id = ids.new_id("reg")
        token, token_hash = new_attendee_token()
        self.store.index_attendee(token_hash, activity.id, registration_id)
        made: dict = {}
        if hand_over is not None:
            hand_over(registration_id, token)

        def register(roster: Roster):
            item, pairs = roster.register(registration_id, person, data["audience"], view, self.now(), token_hash)
            made.update(item)
            return self._events(pairs, activity.id)
        with rules():
            roster = self.store.change_roster(activity.id, register)
        return self._registration(made, activity, roster) | {"attendee_token": token}

    def registrations(self, activity_id: str, actor: Actor) -> dict:
        activity = self._activity(activity_id)
        with rules():
            activity.require_organizer(actor, "see who registered")
        roster = self.store.roster(activity.id)
        positions = roster.waitlist_positions()
        return {"items": [self._registration(item, activity, roster, positions) for item in roster.registrations],
                "attendance": roster.attendance(), "capacity": activity.capacity}

    def registration(self, activity_id: str, registration_id: str) -> dict:
        activity = self._activity(activity_id)
        with rules():
            roster = self.store.roster(activity.id)
            return self._registration(roster.find(registration_id), activity, roster)

    def cancel_registration(self, activity_id: str, registration_id: str) -> dict:
        activity = self._activity(activity_id)
        view = view_of(activity)
        with rules():
            roster = self.store.change_roster(
                activity.id, lambda r: self._events(r.cancel(registration_id, view, self.now()), activity.id))
            return self._registration(roster.find(registration_id), activity, roster)

    def attendee_of(self, token_hash: str) -> dict | None:
        """Which registration an attendee token (by its hash) opens: ``{activity_id, registration_id}``, or None."""
        roster = self.store.roster_of_attendee(str(token_hash))
        item = roster.by_attendee_hash(str(token_hash)) if roster else None
        return None if item is None else {"activity_id": roster.activity_id,
                                          "registration_id": item["registration_id"]}

    def check_in(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.CheckIn(), payload)
        activity = self._activity(activity_id)
        view = view_of(activity)
        made: dict = {}

        def check_in(roster: Roster):
            item, pairs = roster.check_in(data["code"], view, self.now())
            made.update(item)
            return self._events(pairs, activity.id)
        with rules():
            activity.require_organizer(actor, "check people in")
            roster = self.store.change_roster(activity.id, check_in)
        return self._registration(made, activity, roster)

    # volunteers ---------------------------------------------------------------------------------------------
    def _organizing(self, activity_id: str, actor: Actor, what: str) -> JointActivity:
        activity = self._activity(activity_id)
        with rules():
            activity.require_organizer(actor, what)
        return activity

    def add_role(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.Role(), payload)
        activity = self._organizing(activity_id, actor, "add volunteer roles")
        role_id = ids.new_id("rol")
        with rules():
            self.store.change_roster(activity.id, lambda r: volunteers.add_role(r, role_id, **data) and None)
        return self.volunteering(activity.id, actor)

    def add_shift(self, activity_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.Shift(), payload)
        activity = self._organizing(activity_id, actor, "add volunteer shifts")
        shift_id = ids.new_id("sft")
        with rules():
            self.store.change_roster(activity.id, lambda r: volunteers.add_shift(r, shift_id, **data) and None)
        return self.volunteering(activity.id, actor)

    def sign_up(self, activity_id: str, payload: dict) -> dict:
        data = load(schemas.SignUp(), payload)
        activity = self._activity(activity_id)
        person = {k: data[k] for k in ("person_id", "email", "language")}
        signup_id = ids.new_id("vol")
        made: dict = {}

        def sign_up(roster: Roster):
            made.update(volunteers.sign_up(roster, signup_id, data["shift_id"], person, activity.status, self.now()))
        with rules():
            self.store.change_roster(activity.id, sign_up)
        return self._shown(made, activity)

    def cancel_sign_up(self, activity_id: str, signup_id: str) -> dict:
        activity = self._activity(activity_id)
        made: dict = {}
        with rules():
            self.store.change_roster(activity.id,
                                     lambda r: made.update(volunteers.cancel_sign_up(r, signup_id)))
        return self._shown(made, activity)

    def confirm_hours(self, activity_id: str, signup_id: str, payload: dict, actor: Actor) -> dict:
        data = load(schemas.Hours(), payload)
        activity = self._organizing(activity_id, actor, "confirm volunteer hours")
        made: dict = {}

        def confirm(roster: Roster):
            signup, pairs = volunteers.confirm_hours(roster, signup_id, data["hours"], activity.id, self.now())
            made.update(signup)
            return self._events(pairs, activity.id)
        with rules():
            self.store.change_roster(activity.id, confirm)
        return self._shown(made, activity)

    def volunteering(self, activity_id: str, actor: Actor) -> dict:
        activity = self._organizing(activity_id, actor, "see the volunteers")
        roster = self.store.roster(activity.id)
        return {"activity_id": activity.id, "roles": roster.roles, "shifts": roster.shifts,
                "signups": [self._shown(s, activity) for s in roster.signups]}

    def shifts(self, activity_id: str) -> dict:
        """What a would-be volunteer sees: roles, shifts and free places, no names."""
        activity = self._activity(activity_id)
        roster = self.store.roster(activity.id)
        taken = {}
        for signup in roster.signups:
            if signup["state"] != "cancelled":
                taken[signup["shift_id"]] = taken.get(signup["shift_id"], 0) + 1
        return {"activity_id": activity.id, "roles": roster.roles,
                "shifts": [dict(s, free=s["places"] - taken.get(s["shift_id"], 0)) for s in roster.shifts]}

    # people -------------------------------------------------------------------------------------------------
    def participation(self, person_id: str) -> dict:
        items = []
        for roster in self.store.rosters_of_person(str(person_id)):
            activity = self.store.load(roster.activity_id)
            if activity is not None:
                items += participation_items(roster, person_id, view_of(activity))
        items.sort(key=lambda item: item["starts_at"])
        return {"person_id": person_id, "items": items,
                "attended_count": sum(1 for item in items if item["kind"] == "attended"),
                "volunteer_hours": round(sum(item["hours"] for item in items if item["kind"] == "volunteered"), 2)}

    def _export_window(self, data: dict) -> tuple[datetime, datetime, dict]:
        if "term" in data:
            data["starts_on"], data["ends_on"] = term_bounds(data["term"])
        starts, ends = transcript.window(data["starts_on"], data["ends_on"], self.display_timezone)
        return starts, ends, {"from": data["starts_on"].isoformat(), "to": data["ends_on"].isoformat()}

    def _participation_rows(self, starts: datetime, ends: datetime,
                            after: tuple[str, str, str] | None = None) -> Iterator[dict]:
        """Every participation row of activities starting in ``[starts, ends)``, in export order, lazily."""
        after_key = None
        if after is not None:
            after_key, activity_id, person_id = after
            activity = self.store.get(activity_id)
            if activity is not None and self.store.sort_key_of(activity) == after_key \
                    and starts <= activity["starts_at"] < ends and activity["status"] in CALENDAR_STATUSES:
                rows = transcript.rows_of(activity, self.store.roster(activity_id), self.display_timezone)
                yield from (row for row in rows if row["person_id"] > person_id)
        batch_size = 4  # grows: a page of a few rows reads a few activities, a whole CSV reads 128 at a time
        while True:
            batch = self.store.find(starts_from=starts, starts_before=ends, after_key=after_key,
                                    statuses=CALENDAR_STATUSES, limit=batch_size)
            rosters = self.store.rosters_for([activity["id"] for activity in batch])
            for activity in batch:
                if activity["id"] in rosters:
                    yield from transcript.rows_of(activity, rosters[activity["id"]], self.display_timezone)
            if len(batch) < batch_size:
                return
            after_key = self.store.sort_key_of(batch[-1])
            batch_size = min(batch_size * 2, 128)

    def participation_export(self, query: dict | None) -> dict:
        """One page of everyone's participation over a date range or a term (transcript.py)."""
        data = load(schemas.ParticipationExport(), query or {})
        try:
            after = transcript.read_cursor(data["cursor"]) if "cursor" in data else None
        except ValueError as exc:
            raise ValidationFailed(str(exc), {"errors": {"cursor": [str(exc)]}}) from None
        starts, ends, span = self._export_window(data)
        rows = list(islice(self._participation_rows(starts, ends, after), data["limit"] + 1))
        page = rows[:data["limit"]]
        next_cursor = transcript.cursor_after(page[-1]) if len(rows) > data["limit"] else None
        return dict(span, items=[transcript.shown(row) for row in page], next_cursor=next_cursor)

    def participation_csv(self, query: dict | None) -> str:
        """The same rows as one CSV document with a header line."""
        data = load(schemas.ParticipationCsv(), query or {})
        starts, ends, _ = self._export_window(data)
        return transcript.to_csv(self._participation_rows(starts, ends))

    def survey_recipients(self, activity_id: str) -> list[dict]:
        activity = self._activity(activity_id)
        return self.store.roster(activity.id).survey_recipients()

    # what the bus and the clock bring -----------------------------------------------------------------------
    def partner_changed(self, envelope) -> None:
        data = envelope.data
        self.store.remember_partner(data, data.get("decided_at") or envelope.time)
        self._keep_offers(data)
        # a profile (registered, updated) never changes the status: only status events flag or clear activities,
        # so a profile edit does not read and rewrite every live activity of the partner
        if envelope.type in PROFILE_EVENTS or data["status"] not in ("suspended", "active", "approved",
                                                                     "approved_with_conditions"):
            return
        for activity_id in self.store.live_ids_of_partner(data["partner_id"]):
            def flag(activity: JointActivity):
                if data["status"] != "suspended":
                    activity.organizer_reinstated(data["partner_id"])
                    return []
                found = activity.organizer_suspended(data["partner_id"], self.now())
                return self._events([("activity.organizer_suspended", found)] if found else [], activity.id)
            self.store.change(activity_id, flag, applied_event=envelope.id)

    def sweep(self) -> dict:
        """Start and finish published activities on time; anonymise personal data past the retention period."""
        now = self.now()
        moved = 0
        for status, field, step in (("published", "starts_at", self.start), ("in_progress", "ends_at", self.complete)):
            for activity_id in self.store.due(status, field, now):
                try:
                    step(activity_id, SCHEDULE)
                    moved += 1
                except Conflict:  # someone moved it meanwhile
                    continue
        cutoff = now - self.retention
        anonymised = 0
        for activity_id in self.store.ended_before(cutoff):
            def anonymise(roster: Roster, subject: str = activity_id):
                done = roster.anonymise(now)
                return self._events([done] if done else [], subject)
            self.store.change_roster(activity_id, anonymise)
            self.store.change(activity_id, lambda a: setattr(a, "retention_done", True))
            anonymised += 1
        return {"anonymised": anonymised, "moved": moved}

    def remind_tasks(self) -> int:
        """Announce every organizer's task due within ``task_reminder``, once (see tasks.py); how many."""
        now = self.now()
        announced = 0
        for activity_id in self.store.tasks_due_by(now + self.task_reminder):
            due: list[dict] = []

            def remind(activity: JointActivity, due: list[dict] = due):
                due[:] = activity.remind_tasks(now, self.task_reminder)  # a retried write starts afresh
                return self._events([("activity.task_due", data) for data in due], activity.id)
            self.store.change(activity_id, remind)
            announced += len(due)
        return announced
