"""A service whose handler fails until told otherwise: to prove failed messages are dead-lettered, not lost.

Run as ``python -m tests.integration.failing_service``; it appends one line per attempt to $ATTEMPTS_FILE and
succeeds only once $SUCCEED_FILE exists.
"""
import os  # noqa: E402
from pathlib import Path  # noqa: E402

import services.common.green  # noqa: F401 - patches eventlet before anything else is imported
from services.common.handlers import event_handler  # noqa: E402
from services.common.runner import run  # noqa: E402


class FailingService:
    name = "failing"

    @event_handler("survey.prepared")
    def on_survey_prepared(self, envelope):
        with open(os.environ["ATTEMPTS_FILE"], "a") as attempts:
            attempts.write(envelope.id + "\n")
        if not Path(os.environ["SUCCEED_FILE"]).exists():
            raise RuntimeError("failing on purpose")


if __name__ == "__main__":
    run(FailingService)
