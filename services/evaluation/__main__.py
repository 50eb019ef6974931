"""``python -m services.evaluation``: run the evaluation service."""
import services.common.green  # noqa: F401 - patches eventlet before anything else is imported
from services.common.runner import run  # noqa: E402
from services.evaluation.service import EvaluationService  # noqa: E402

run(EvaluationService)
