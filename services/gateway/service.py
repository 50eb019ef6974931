"""The gateway service: the route modules mixed together, with the RPC proxies they call."""
from __future__ import annotations

from nameko.rpc import RpcProxy

from services.common.correlation import Correlation
from services.common.mongo import ServiceDatabase
from services.gateway.routes.activities import ActivityRoutes
from services.gateway.routes.evaluation import EvaluationRoutes
from services.gateway.routes.health import HealthRoutes
from services.gateway.routes.keys import ApiKeyRoutes
from services.gateway.routes.notify import NotifyRoutes
from services.gateway.routes.partners import AgreementRoutes, PartnerRoutes
from services.gateway.routes.registrations import RegistrationRoutes, VolunteerRoutes
from services.gateway.routes.venues import VenueRoutes
from services.gateway.store import GatewayStore


class GatewayService(HealthRoutes, ApiKeyRoutes, PartnerRoutes, AgreementRoutes, ActivityRoutes, VenueRoutes,
                     RegistrationRoutes, VolunteerRoutes, EvaluationRoutes, NotifyRoutes):
    name = "gateway"

    correlation = Correlation()
    store: GatewayStore = ServiceDatabase(GatewayStore)
    partners = RpcProxy("partners")
    events = RpcProxy("events")
    evaluation = RpcProxy("evaluation")
    notify = RpcProxy("notify")
