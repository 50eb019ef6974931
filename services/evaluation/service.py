"""The evaluation service's entrypoints."""
from __future__ import annotations

from services.common.catalogue import announce
from services.common.clock import utcnow
from services.common.errors import NotFound
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.outbox import OutboxRelay
from services.common.service import ServiceBase, rpc
from services.evaluation.domain import Survey
from services.evaluation.store import EvaluationStore


class EvaluationService(ServiceBase):
    name = "evaluation"

    store: EvaluationStore = ServiceDatabase(EvaluationStore)
    outbox = OutboxRelay("surveys")

    @event_handler("activity.published")
    def prepare_survey(self, envelope) -> None:
        survey = Survey.prepare_for(envelope.data, utcnow())
        event = announce("survey.prepared", {"survey_id": survey.id, "activity_id": survey.activity_id,
                                             "item_count": len(survey.items) + len(survey.open_items)},
                         subject=survey.id)
        self.store.add_survey_once(survey, [event])

    @rpc
    def surveys_for_activity(self, activity_id: str) -> dict:
        found = self.store.surveys_of(str(activity_id))
        if not found:
            raise NotFound(f"No survey for activity {activity_id}.", {"activity_id": activity_id})
        return {"activity_id": activity_id, "surveys": found}
