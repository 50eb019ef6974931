"""The gateway service: the route modules mixed together, with the RPC proxies they call."""
from __future__ import annotations

from nameko.rpc import RpcProxy

from services.common.correlation import Correlation
from services.gateway.routes.activities import ActivityRoutes
from services.gateway.routes.evaluation import EvaluationRoutes
from services.gateway.routes.health import HealthRoutes
from services.gateway.routes.notify import NotifyRoutes
from services.gateway.routes.partners import AgreementRoutes, PartnerRoutes


class GatewayService(HealthRoutes, PartnerRoutes, AgreementRoutes, ActivityRoutes, EvaluationRoutes, NotifyRoutes):
    name = "gateway"

    correlation = Correlation()
    partners = RpcProxy("partners")
    events = RpcProxy("events")
    evaluation = RpcProxy("evaluation")
    notify = RpcProxy("notify")
