"""A stand-in for the events service, answering only what evaluation asks of it: readiness and
``survey_recipients``. Used where the real events service does not have that RPC yet.

Run as ``python -m tests.integration.events_stand_in``; each activity has $RECIPIENT_COUNT attendees.
"""
import os  # noqa: E402

import services.common.green  # noqa: F401 - patches eventlet before anything else is imported
from services.common.runner import run  # noqa: E402
from services.common.service import ServiceBase, rpc  # noqa: E402


class EventsStandIn(ServiceBase):
    name = "events"

    @rpc
    def survey_recipients(self, activity_id: str) -> list[dict]:
        count = int(os.environ.get("RECIPIENT_COUNT", "8"))
        return [{"person_id": f"per_{activity_id}_{n}", "email": f"student{n}@uni.example",
                 "language": "en" if n % 2 else "zh-CN"} for n in range(count)]


if __name__ == "__main__":
    run(EventsStandIn)
