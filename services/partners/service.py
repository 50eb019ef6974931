"""The partners service's entrypoints: parse, call the domain, store, return."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import date
from zoneinfo import ZoneInfo

from nameko.timer import timer

from services.common import ids
from services.common.catalogue import announce
from services.common.clock import utcnow
from services.common.config import Settings, env
from services.common.documents import REVISION
from services.common.errors import Conflict, NotFound, RuleBroken, ValidationFailed
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.outbox import OutboxRelay
from services.common.service import ServiceBase, rpc
from services.common.validation import load
from services.partners import bulk, history, importing, notices, review, schemas
from services.partners.agreements import LIBRARY, Agreement
from services.partners.domain import (
    MAY_ORGANIZE,
    IllegalTransition,
    Partner,
    PartnerRuleBroken,
    name_key,
    visible_contacts,
)
from services.partners.recommend import recommend
from services.partners.store import PartnerStore

log = logging.getLogger(__name__)

RUBRIC_SETTING = "review_rubric"
STATUS_STEPS = {"suspend": (review.suspend, "partner.suspended"),
                "reinstate": (review.reinstate, "partner.reinstated"),
                "retire": (review.retire, "partner.retired")}


@contextmanager
def domain_rules():
    """Domain refusals become declared errors: a broken rule names its field, an illegal step is a conflict."""
    try:
        yield
    except PartnerRuleBroken as exc:
        raise RuleBroken(str(exc), {"field": exc.field or "_schema"}) from None
    except IllegalTransition as exc:
        raise Conflict(str(exc), {"status": exc.current, "step": exc.step}) from None


def today_in(zone: str) -> date:
    return utcnow().astimezone(ZoneInfo(zone)).date()


class PartnersService(ServiceBase):
    name = "partners"

    store: PartnerStore = ServiceDatabase(PartnerStore)
    outbox = OutboxRelay("partners", "agreements")

    # helpers (not entrypoints)
    def _settings(self) -> Settings:
        return Settings.from_env()

    def _view(self, partner: dict, include_private: bool) -> dict:
        partner["contacts"] = visible_contacts(partner.get("contacts", []), include_private)
        return partner

    def _existing(self, partner_id: str) -> dict:
        partner = self.store.get(str(partner_id))
        if partner is None:
            raise NotFound(f"No partner {partner_id}.", {"partner_id": partner_id})
        return partner

    def _change(self, partner_id: str, change, expected_rev: int | None = None) -> dict:
        self._existing(partner_id)
        with domain_rules():
            return self.store.change(str(partner_id), change, expected_rev)

    def _full_view(self, partner: dict, include_private: bool) -> dict:
        """What reading a partner answers: the profile with its collaboration history and review tally."""
        partner = self._view(partner, include_private)
        partner["status_seq"] = len(partner.get("status_history", []))
        records = self.store.collaborations_of(partner["id"])
        partner["collaborations"] = records
        partner["history"] = history.summarize(records)
        if partner.get("review"):
            partner["review"]["tally"] = review.tally(partner["review"])
        return partner

    # the registry
    @rpc
    def register_partner(self, payload: dict, actor: str = "system") -> dict:
        data = load(schemas.PartnerRegistration(), payload)
        with domain_rules():
            partner = Partner.register(ids.new_id("prt"), now=utcnow(), registered_by=actor, **data)
        event = announce("partner.registered", partner.registered_event(), subject=partner.id)
        self.store.add(partner, [event])
        return self._view(self.store.get(partner.id), True)

    @rpc
    def get_partner(self, partner_id: str, include_private: bool = False) -> dict:
        return self._full_view(self._existing(partner_id), bool(include_private))

    @rpc
    def update_partner(self, partner_id: str, payload: dict, actor: str = "system", expected_rev: int | None = None,
                       include_private: bool = True) -> dict:
        """Change the profile; with ``expected_rev`` only if nobody changed it since (else ``PreconditionFailed``).
        Answers what ``get_partner`` would (same view, same revision)."""
        changes = load(schemas.PartnerProfile(), payload)
        if not changes:
            raise ValidationFailed("Nothing to change.", {"errors": {"_schema": ["Give at least one field."]}})
        if "name" in changes:
            current = self._existing(partner_id)
            if name_key(changes["name"]) != name_key(current["name"]) and self.store.name_taken(
                    name_key(changes["name"])):
                raise Conflict(f"A partner named {changes['name']['zh']} is registered already.", {"field": "name"})

        def apply(partner: Partner):
            data = partner.update_profile(changes, utcnow())
            return [announce("partner.updated", data, subject=partner.id)] if data else []
        return self._full_view(self._change(partner_id, apply, expected_rev), bool(include_private))

    @rpc
    def find_partners(self, query: dict | None = None, include_private: bool = False) -> dict:
        criteria = load(schemas.PartnerFilter(), query or {})
        items = [self._view(item, bool(include_private)) for item in self.store.find(**criteria)]
        next_cursor = items[-1]["id"] if len(items) == criteria["limit"] else None
        return {"items": items, "next_cursor": next_cursor}

    # the qualification review
    @rpc
    def start_review(self, partner_id: str, payload: dict | None = None, actor: str = "system") -> dict:
        data = load(schemas.ReviewStart(), payload or {})
        summary = history.summarize(self.store.collaborations_of(str(partner_id)))

        rubric = data["rubric"] or self.store.setting(RUBRIC_SETTING)[0]

        def apply(partner: Partner):
            event = review.start_review(partner, by=actor, at=utcnow(), reason=data["reason"],
                                        rubric=rubric, evidence=data["evidence"], history=summary)
            return [announce("partner.review_started", event, subject=partner.id)]
        return self._view(self._change(partner_id, apply), True)

    @rpc
    def get_rubric(self) -> dict:
        """The rubric a review uses unless it is started with its own, with its ``revision`` (0: the default)."""
        rubric, rev = self.store.setting(RUBRIC_SETTING)
        return {**(rubric or review.default_rubric()), REVISION: rev}

    @rpc
    def set_rubric(self, payload: dict, actor: str = "system", expected_rev: int | None = None) -> dict:
        """Replace the rubric; with ``expected_rev`` only on that revision (0: while it is the default)."""
        rubric = load(schemas.Rubric(), payload)
        with domain_rules():
            review.check_rubric(rubric)
        saved, rev = self.store.save_setting(RUBRIC_SETTING, rubric, actor, utcnow(), expected_rev)
        return {**saved, REVISION: rev}

    @rpc
    def add_evidence(self, partner_id: str, payload: dict, actor: str = "system") -> dict:
        item = load(schemas.Evidence(), payload)

        def apply(partner: Partner):
            review.add_evidence(partner, item, by=actor, at=utcnow())
            return []
        return self._change(partner_id, apply)["review"]

    @rpc
    def score_review(self, partner_id: str, payload: dict, actor: str = "system") -> dict:
        sheet = load(schemas.Scoresheet(), payload)

        def apply(partner: Partner):
            review.score(partner, by=actor, at=utcnow(), **sheet)
            return []
        self._change(partner_id, apply)
        return self.get_review(partner_id)["current"]

    @rpc
    def decide_review(self, partner_id: str, payload: dict, actor: str = "system") -> dict:
        decision = load(schemas.Decision(), payload)
        settings = self._settings()

        def apply(partner: Partner):
            event_type, data = review.decide(partner, by=actor, at=utcnow(), zone=settings.display_timezone,
                                             valid_days=int(env("APPROVAL_VALID_DAYS")),
                                             notice_days=int(env("RENEWAL_NOTICE_DAYS")), **decision)
            return [announce(event_type, data, subject=partner.id)]
        return self._view(self._change(partner_id, apply), True)

    @rpc
    def get_review(self, partner_id: str) -> dict:
        partner = self._existing(partner_id)
        current = partner.get("review")
        if current:
            current["tally"] = review.tally(current)
        return {"partner_id": partner["id"], "status": partner["status"], "current": current,
                "past": partner.get("past_reviews", []), "approval": partner.get("approval"),
                "status_history": partner.get("status_history", [])}

    @rpc
    def change_status(self, partner_id: str, step: str, payload: dict | None = None, actor: str = "system") -> dict:
        """suspend, reinstate or retire a partner, saying why."""
        if step not in STATUS_STEPS:
            raise ValidationFailed(f"Unknown step {step}.",
                                   {"errors": {"step": [f"One of {', '.join(STATUS_STEPS)}."]}})
        data = load(schemas.StatusChange(), payload or {})
        move, event_type = STATUS_STEPS[step]

        def apply(partner: Partner):
            event = move(partner, reason=data["reason"], by=actor, at=utcnow())
            return [announce(event_type, event, subject=partner.id)]
        return self._view(self._change(partner_id, apply), True)

    # history and recommendations
    @rpc
    def partner_history(self, partner_id: str) -> dict:
        partner = self._existing(partner_id)
        records = self.store.collaborations_of(partner["id"])
        return {"partner_id": partner["id"], "summary": history.summarize(records), "collaborations": records}

    @rpc
    def recommend_partners(self, payload: dict) -> dict:
        wanted = load(schemas.RecommendationRequest(), payload)
        candidates = self.store.organizing_partners(wanted["level"])
        records = self.store.collaborations_by_partner([partner["id"] for partner in candidates])
        summaries = {partner_id: history.summarize(found) for partner_id, found in records.items()}
        items = recommend(candidates, summaries, themes=wanted["themes"], paths=wanted["paths"],
                          resources=wanted["resources"], limit=wanted["limit"], now=utcnow())
        return {"items": items, "considered": len(candidates)}

    # bulk work
    @rpc
    def import_partners(self, csv_text: str, options: dict | None = None, actor: str = "system") -> dict:
        mode = load(schemas.ImportOptions(), options or {})["mode"]
        return importing.start(self.store, csv_text, mode, actor)

    @rpc
    def get_import(self, import_id: str) -> dict:
        job = self.store.get_import(str(import_id))
        if job is None:
            raise NotFound(f"No import {import_id}.", {"import_id": import_id})
        return importing.result(job)

    @rpc
    def export_partners(self, query: dict | None = None, include_private: bool = False) -> str:
        criteria = load(schemas.PartnerFilter(), dict(query or {}, limit=200))
        criteria.pop("limit")
        partners, after = [], criteria.pop("after", None)
        while True:
            page = self.store.find(after=after, limit=200, **criteria)
            partners += [self._view(item, bool(include_private)) for item in page]
            if len(page) < 200:
                return bulk.export(partners)
            after = page[-1]["id"]

    # agreements
    @rpc
    def sign_agreement(self, payload: dict, actor: str = "system") -> dict:
        data = load(schemas.AgreementDraft(), payload)
        partner = self.store.get(data["partner_id"])
        if partner is None:
            raise RuleBroken(f"{data['partner_id']} is not a registered partner.", {"field": "partner_id"})
        if partner["status"] not in MAY_ORGANIZE:
            raise RuleBroken(f"A partner that is {partner['status']} cannot sign an agreement; it must be active or "
                             f"approved.", {"field": "partner_id"})
        if data["counterpart"] != LIBRARY:
            unit = self.store.get(data["counterpart"])
            if unit is None or unit["level"] not in ("library", "campus") or unit["id"] == partner["id"] or \
                    unit["status"] not in MAY_ORGANIZE:
                raise RuleBroken("The counterpart is the library or another active campus or library unit.",
                                 {"field": "counterpart"})
        with domain_rules():
            agreement = Agreement.sign(ids.new_id("agr"), today=today_in(self._settings().display_timezone),
                                       now=utcnow(), recorded_by=actor, **data)
        self.store.add_agreement(agreement, [announce("agreement.signed", agreement.signed_event(),
                                                      subject=agreement.id)])
        return self.store.get_agreement(agreement.id)

    @rpc
    def get_agreement(self, agreement_id: str) -> dict:
        found = self.store.get_agreement(str(agreement_id))
        if found is None:
            raise NotFound(f"No agreement {agreement_id}.", {"agreement_id": agreement_id})
        return found

    @rpc
    def find_agreements(self, query: dict | None = None) -> dict:
        criteria = load(schemas.AgreementFilter(), query or {})
        if criteria.get("ends_before"):
            criteria["ends_before"] = criteria["ends_before"].isoformat()
        items = self.store.find_agreements(**criteria)
        return {"items": items, "next_cursor": items[-1]["id"] if len(items) == criteria["limit"] else None}

    @rpc
    def agreements_of(self, partner_id: str) -> dict:
        partner = self._existing(partner_id)
        return {"partner_id": partner["id"], "items": self.store.agreements_of(partner["id"])}

    @rpc
    def link_activity(self, agreement_id: str, payload: dict, actor: str = "system") -> dict:
        activity_id = load(schemas.ActivityLink(), payload)["activity_id"]
        self.get_agreement(agreement_id)

        def apply(agreement: Agreement):
            agreement.link_activity(activity_id, by=actor, at=utcnow())
            return []
        return self.store.change_agreement(str(agreement_id), apply)

    # the scheduled job: agreements ending, approvals lapsing
    @rpc
    def check_due(self, today: str | None = None) -> dict:
        """Give every notice due today (or on an earlier ``today``, an ISO date); safe to run anywhere, any number
        of times, on any number of instances."""
        real_today = today_in(self._settings().display_timezone)
        try:
            day = date.fromisoformat(today) if today else real_today
        except (TypeError, ValueError):
            raise ValidationFailed("today is an ISO date.", {"errors": {"today": ["Not an ISO date."]}}) from None
        if day > real_today:
            raise RuleBroken("Notices are never given ahead of their day.", {"field": "today"})
        announced = notices.give_due(self.store, day, utcnow())
        return {"on": day.isoformat(), "announced": announced}

    @timer(interval=float(env("AGREEMENT_CHECK_SECONDS")), eager=True)
    def check_due_regularly(self) -> None:
        for import_id in importing.resume_cut_short(self.store):
            log.warning("finished import %s, cut short earlier", import_id)
        result = self.check_due()
        if any(result["announced"].values()):
            log.info("notices given on %s: %s", result["on"], result["announced"])

    # what the bus tells
    @event_handler("activity.published")
    def record_collaboration(self, envelope) -> None:
        for partner_id, fields_ in history.from_published(envelope.data):
            self.store.merge_collaboration(partner_id, envelope.data["activity_id"],
                                           dict(fields_, recorded_at=utcnow()), envelope.id)

    @event_handler("activity.completed")
    def record_contributions(self, envelope) -> None:
        for partner_id, fields_ in history.from_completed(envelope.data):
            self.store.merge_collaboration(partner_id, envelope.data["activity_id"], fields_, envelope.id)

    @event_handler("partner.evaluated")
    def record_evaluation(self, envelope) -> None:
        partner_id, fields_ = history.from_evaluated(envelope.data)
        self.store.merge_collaboration(partner_id, envelope.data["activity_id"], fields_, envelope.id)
