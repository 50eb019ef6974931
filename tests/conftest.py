"""Fixtures for tests on the real parts: the Mongo-wire server, RabbitMQ vhosts, the service processes."""
from __future__ import annotations

import os
import secrets
import sys
import uuid

import pymongo
import pytest

from deploy.launcher import Cluster, EmbeddedMongo, ensure_rabbitmq, free_port, isolated_env
from tests.support import broker
from tests.support.api import Api
from tests.support.webhook_server import WebhookServer


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory) -> str:
    """MONGO_URI if given (e.g. a real MongoDB replica set), else an embedded nx-27017 of the test run."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    server = EmbeddedMongo(tmp_path_factory.mktemp("mongo"), port=free_port())
    server.start()
    yield server.uri
    server.stop()


@pytest.fixture(scope="session")
def mongo_client(mongo_uri) -> pymongo.MongoClient:
    from services.common.mongo import client
    return client(mongo_uri)


@pytest.fixture(scope="session")
def rabbitmq() -> str:
    ensure_rabbitmq(broker.BASE_URI)
    return broker.BASE_URI


@pytest.fixture
def vhost_uri(rabbitmq):
    name = broker.create_vhost()
    yield broker.uri_for(name)
    broker.delete_vhost(name)


class ClusterHandle:
    """The service processes of one test, with the API, the databases and the bus they use."""

    def __init__(self, cluster: Cluster, amqp_uri: str, mongo: pymongo.MongoClient, prefix: str, key: str):
        self.cluster, self.amqp_uri, self.mongo, self.prefix, self.key = cluster, amqp_uri, mongo, prefix, key
        self.api = Api(cluster.gateway_url, key)

    def db(self, service: str):
        return self.mongo[f"{self.prefix}{service}"]

    def start(self, *names, **kwargs):
        self.cluster.start(*names, **kwargs)

    def stop(self, *names):
        self.cluster.stop(*names)

    def kill(self, name):
        self.cluster.kill(name)


@pytest.fixture
def make_cluster(vhost_uri, mongo_uri, mongo_client, tmp_path, request):
    """Builds (but does not start) the cluster of one test: its own vhost, databases and log folder."""
    made: list[ClusterHandle] = []

    def make() -> ClusterHandle:
        prefix = f"t{uuid.uuid4().hex[:8]}_"
        key = "syn_admin_" + secrets.token_urlsafe(16)
        cluster = Cluster(env=isolated_env(vhost_uri, mongo_uri, prefix, key), log_dir=tmp_path / "log")
        handle = ClusterHandle(cluster, vhost_uri, mongo_client, prefix, key)
        made.append(handle)
        return handle

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for handle in made:
        handle.cluster.stop()
        if failed:
            for log in sorted((tmp_path / "log").glob("*.log")):
                sys.stderr.write(f"\n===== {log.name} =====\n{log.read_text(errors='replace')[-4000:]}")
        for service in ("partners", "events", "evaluation", "notify", "gateway"):
            mongo_client.drop_database(f"{handle.prefix}{service}")


@pytest.fixture
def cluster(make_cluster) -> ClusterHandle:
    """The whole cluster, started and ready."""
    handle = make_cluster()
    handle.start()
    return handle


@pytest.fixture
def webhook_server():
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


