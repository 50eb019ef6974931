"""Synergy's tests: unit/ (no broker), integration/ (real RabbitMQ and Mongo wire), e2e/ (the whole cluster)."""
import warnings

# eventlet announces its bug-fix-only status on import; the services keep it at their edges.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
