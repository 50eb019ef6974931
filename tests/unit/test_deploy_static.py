"""The deploy files checked against the code, without Docker or Kubernetes: a wrong module, an unknown variable or
a topology RabbitMQ would refuse to redeclare shows here, not at the first start of the stack."""
from __future__ import annotations

import ast
import base64
import hashlib
import importlib.util
import json
import py_compile
import re
import shlex
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml
from kombu.transport.base import to_rabbitmq_queue_arguments

from deploy import bus_access
from deploy.launcher import SERVICES
from services.common import bus
from services.common.config import ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DEFINITIONS_FILE = ROOT / "deploy" / "rabbitmq" / "definitions.json"
RABBITMQ_CONF = ROOT / "deploy" / "rabbitmq" / "rabbitmq.conf"
HEALTHCHECK = ROOT / "deploy" / "healthcheck.py"
K8S_DIR = ROOT / "deploy" / "k8s"
INFRA = ("rabbitmq", "mongo")


# helpers

@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def definitions() -> dict:
    return json.loads(DEFINITIONS_FILE.read_text())


def environment_of(service: dict) -> dict[str, str | None]:
    """Compose allows a mapping or a list of NAME=value; both become a mapping."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def depends_on(service: dict) -> dict[str, dict]:
    deps = service.get("depends_on") or {}
    return {name: {} for name in deps} if isinstance(deps, list) else deps


def healthcheck_command(service: dict) -> list[str]:
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, str):
        return shlex.split(test)
    assert test and test[0] in ("CMD", "CMD-SHELL"), f"healthcheck test must start with CMD: {test}"
    return test[1:] if test[0] == "CMD" else shlex.split(test[1])


def module_exists(module: str) -> bool:
    return importlib.util.find_spec(f"{module}.__main__") is not None or importlib.util.find_spec(module) is not None


def service_module(command: list[str]) -> str:
    """``services.<name>`` from ``python -m services.<name>``."""
    assert command[:2] == ["python", "-m"] and len(command) == 3, f"not a python -m command: {command}"
    return command[2]


def topology_declared_by_bus() -> SimpleNamespace:
    """What ``bus.declare_topology`` asks the broker for, recorded on a stand-in channel (no broker needed)."""
    declared = SimpleNamespace(exchanges={}, queues={}, bindings=set())

    class RecordingChannel:
        def prepare_queue_arguments(self, arguments, **kwargs):
            return to_rabbitmq_queue_arguments(arguments, **kwargs)

        def exchange_declare(self, exchange, type, durable, auto_delete, arguments, **_):
            declared.exchanges[exchange] = {"type": type, "durable": durable, "auto_delete": auto_delete,
                                            "arguments": arguments or {}}

        def queue_declare(self, queue, durable, exclusive, auto_delete, arguments, **_):
            declared.queues[queue] = {"durable": durable, "exclusive": exclusive, "auto_delete": auto_delete,
                                      "arguments": arguments or {}}
            return queue, 0, 0

        def queue_bind(self, queue, exchange, routing_key, arguments, **_):
            declared.bindings.add((exchange, queue, routing_key, json.dumps(arguments or {}, sort_keys=True)))

    channel = RecordingChannel()
    bus.declare_topology(SimpleNamespace(channel=lambda: nullcontext(channel)))
    return declared


def k8s_documents() -> list[tuple[Path, dict]]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path, doc))
    return docs


def k8s_of_kind(kind: str) -> list[dict]:
    return [doc for _, doc in k8s_documents() if doc.get("kind") == kind]


# docker-compose.yml

def test_compose_runs_every_service_by_its_module(compose):
    services = compose["services"]
    for name in SERVICES:
        assert name in services, f"{name} missing from docker-compose.yml"
        assert services[name]["command"] == ["python", "-m", f"services.{name}"]
        assert module_exists(f"services.{name}")
        build = services[name]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_compose_sets_only_variables_the_code_reads(compose):
    """A misspelt name would be silently ignored and the default used: every one must be in ENVIRONMENT."""
    for name, service in compose["services"].items():
        unknown = set(environment_of(service)) - set(ENVIRONMENT)
        assert not unknown, f"{name} sets variables no code reads: {sorted(unknown)}"
    interpolated = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))
    assert interpolated <= set(ENVIRONMENT), f"unknown interpolated: {sorted(interpolated - set(ENVIRONMENT))}"


def test_compose_points_every_service_at_the_broker_and_the_replica_set(compose):
    mongo_command = compose["services"]["mongo"]["command"]
    replica_set = mongo_command[mongo_command.index("--replSet") + 1]
    for name in SERVICES:
        env = environment_of(compose["services"][name])
        for variable in ("AMQP_URI", "MONGO_URI", "MONGO_DB_PREFIX"):
            assert env.get(variable), f"{name} has no {variable}"
        assert urlsplit(env["AMQP_URI"]).hostname == "rabbitmq"
        mongo = urlsplit(env["MONGO_URI"])
        assert mongo.hostname == "mongo"
        assert parse_qs(mongo.query).get("replicaSet") == [replica_set]


def test_compose_starts_services_only_on_healthy_dependencies(compose):
    services = compose["services"]
    for name in SERVICES:
        deps = depends_on(services[name])
        for infra in INFRA:
            assert deps.get(infra, {}).get("condition") == "service_healthy", f"{name} must wait for {infra}"
        for dep, rule in deps.items():
            if rule.get("condition") == "service_healthy":
                assert services[dep].get("healthcheck"), f"{name} waits for {dep}, which has no healthcheck"
    assert set(SERVICES) - {"gateway"} <= set(depends_on(services["gateway"]))


def test_compose_health_checks_ask_the_service_itself(compose):
    services = compose["services"]
    for name in SERVICES:
        command = healthcheck_command(services[name])
        if name == "gateway":
            assert command[:2] == ["python", "-c"] and "/health" in command[2]
            compile(command[2], "gateway-healthcheck", "exec")
        else:
            assert command == ["python", "-m", "deploy.healthcheck", name]
    assert healthcheck_command(services["rabbitmq"]) == ["rabbitmq-diagnostics", "-q", "ping"]
    mongo_check = healthcheck_command(services["mongo"])
    assert mongo_check[0] == "mongosh" and "rs.initiate" in mounted_file(services["mongo"], mongo_check[-1])


def mounted_file(service: dict, container_path: str) -> str:
    """The text of the repository file that a bind mount puts at ``container_path``."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if not source.startswith("./"):
            continue
        if container_path == target:
            return (ROOT / source).read_text()
        if container_path.startswith(target.rstrip("/") + "/"):
            return (ROOT / source / container_path[len(target.rstrip("/")) + 1:]).read_text()
    raise AssertionError(f"nothing of the repository is mounted at {container_path}")


def test_compose_gateway_is_published_and_needs_an_admin_key(compose):
    gateway = compose["services"]["gateway"]
    env = environment_of(gateway)
    assert "8000:8000" in gateway["ports"]
    assert env["GATEWAY_ADDRESS"] == "0.0.0.0:8000"
    assert env["SYNERGY_ADMIN_KEY"].startswith("${SYNERGY_ADMIN_KEY:?"), "compose must refuse to start without a key"


def test_compose_broker_loads_the_definitions_file(compose):
    rabbitmq = compose["services"]["rabbitmq"]
    assert rabbitmq["image"].startswith("rabbitmq:3.13-management")
    settings = dict(line.split("=", 1) for line in RABBITMQ_CONF.read_text().splitlines()
                    if line.strip() and not line.lstrip().startswith("#"))
    settings = {key.strip(): value.strip() for key, value in settings.items()}
    assert json.loads(mounted_file(rabbitmq, settings["load_definitions"])) == json.loads(DEFINITIONS_FILE.read_text())
    assert mounted_file(rabbitmq, "/etc/rabbitmq/rabbitmq.conf") == RABBITMQ_CONF.read_text()


def test_compose_broker_user_is_defined_with_that_password(compose, definitions):
    """Definitions loaded at boot mean RabbitMQ creates no guest user: the services' user must be in the file."""
    amqp = urlsplit(environment_of(compose["services"]["partners"])["AMQP_URI"])
    user, password = unquote(amqp.username), unquote(amqp.password)
    vhost = unquote(amqp.path[1:]) or "/"
    users = {entry["name"]: entry for entry in definitions["users"]}
    assert "guest" not in users
    assert users[user]["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    stored = base64.b64decode(users[user]["password_hash"])
    salt, digest = stored[:4], stored[4:]
    assert hashlib.sha256(salt + password.encode()).digest() == digest, "AMQP_URI password does not match the hash"
    assert {"name": vhost} in definitions["vhosts"]
    assert any(p["user"] == user and p["vhost"] == vhost and p["configure"] == p["write"] == p["read"] == ".*"
               for p in definitions["permissions"])
    for name in SERVICES:
        assert environment_of(compose["services"][name])["AMQP_URI"] == environment_of(
            compose["services"]["partners"])["AMQP_URI"]


# deploy/Dockerfile

def test_dockerfile_copies_what_exists_and_runs_as_non_root():
    assert DOCKERFILE.exists()
    lines = [line.strip() for line in DOCKERFILE.read_text().splitlines() if line.strip()]
    assert lines[[line.startswith("#") for line in lines].index(False)] == "FROM python:3.11-slim"
    copies = [shlex.split(line)[1:] for line in lines if line.startswith("COPY ")]
    sources = [source for args in copies for source in args[:-1] if not source.startswith("--")]
    assert {"requirements.txt", "services/", "deploy/"} <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), f"COPY source {source} is not in the repository"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"
    assert any(line.startswith("RUN pip install -r requirements.txt") for line in lines)


# deploy/rabbitmq/definitions.json

def test_definitions_declare_exactly_what_bus_declares(definitions):
    """RabbitMQ refuses a redeclaration with other properties (PRECONDITION_FAILED): they must be identical."""
    declared = topology_declared_by_bus()
    exchanges = {x["name"]: {"type": x["type"], "durable": x["durable"], "auto_delete": x["auto_delete"],
                             "arguments": x["arguments"]} for x in definitions["exchanges"]}
    queues = {q["name"]: {"durable": q["durable"], "exclusive": False, "auto_delete": q["auto_delete"],
                          "arguments": q["arguments"]} for q in definitions["queues"]
              if not q["name"].startswith(bus.REPLY_QUEUE_PREFIX)}  # campus reply queues: per deployment
    bindings = {(b["source"], b["destination"], b["routing_key"], json.dumps(b["arguments"], sort_keys=True))
                for b in definitions["bindings"] if b["destination_type"] == "queue"}
    assert exchanges == declared.exchanges
    assert queues == declared.queues
    assert bindings == declared.bindings
    assert {x["vhost"] for x in definitions["exchanges"] + definitions["queues"] + definitions["bindings"]} == {"/"}


def test_definitions_match_the_bus_constants(definitions):
    exchanges = {x["name"]: x for x in definitions["exchanges"]}
    for expected in (bus.events_exchange(), bus.dead_letter_exchange(), bus.ingress_exchange()):
        actual = exchanges[expected.name]
        assert (actual["type"], actual["durable"]) == (expected.type, expected.durable)
        assert actual["arguments"] == (expected.arguments or {})
    assert exchanges[bus.EVENTS_EXCHANGE]["arguments"] == {"alternate-exchange": bus.UNROUTED_EXCHANGE}
    assert exchanges[bus.UNROUTED_EXCHANGE]["type"] == "fanout"
    queues = {q["name"]: q for q in definitions["queues"]}
    assert {name for name in queues if not name.startswith(bus.REPLY_QUEUE_PREFIX)} == {
        bus.UNROUTED_QUEUE, bus.DEAD_LETTER_QUEUE}
    assert all(q["durable"] and not q["auto_delete"] and q["arguments"] == {} for q in queues.values())
    # Handler queues dead-letter into this exchange, so it must exist before any handler queue is declared.
    handler = bus.handler_queue("notify", "on_published", "activity.published", 5)
    assert handler.queue_arguments["x-dead-letter-exchange"] in exchanges


# deploy/k8s/

def test_k8s_files_parse_and_cover_every_service():
    documents = k8s_documents()
    assert documents, "no Kubernetes manifests in deploy/k8s"
    for path, doc in documents:
        assert doc.get("kind") and (doc.get("apiVersion") or path.name == "kustomization.yaml"), path
    commands = {service_module(c["command"]) for d in k8s_of_kind("Deployment")
                for c in d["spec"]["template"]["spec"]["containers"]}
    assert commands == {f"services.{name}" for name in SERVICES}
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (K8S_DIR / resource).exists(), resource
    assert {p.name for p, _ in documents} - {"kustomization.yaml"} <= set(kustomization["resources"])


def test_k8s_deployments_run_known_modules_with_known_variables():
    config_maps = {doc["metadata"]["name"]: doc.get("data", {}) for doc in k8s_of_kind("ConfigMap")}
    for data in config_maps.values():
        assert set(data) <= set(ENVIRONMENT), f"ConfigMap keys no code reads: {sorted(set(data) - set(ENVIRONMENT))}"
    for deployment in k8s_of_kind("Deployment"):
        pod = deployment["spec"]["template"]
        assert set(deployment["spec"]["selector"]["matchLabels"].items()) <= set(pod["metadata"]["labels"].items())
        for container in pod["spec"]["containers"]:
            assert module_exists(service_module(container["command"]))
            names = {entry["name"] for entry in container.get("env", [])}
            assert names <= set(ENVIRONMENT), f"{deployment['metadata']['name']}: {sorted(names - set(ENVIRONMENT))}"
            for source in container.get("envFrom", []):
                names |= set(config_maps[source["configMapRef"]["name"]])
            assert {"AMQP_URI", "MONGO_URI"} <= names, deployment["metadata"]["name"]


def test_k8s_probes_match_compose():
    for deployment in k8s_of_kind("Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            name = service_module(container["command"]).removeprefix("services.")
            readiness, liveness = container["readinessProbe"], container["livenessProbe"]
            if name == "gateway":
                assert readiness["httpGet"]["path"] == "/ready" and liveness["httpGet"]["path"] == "/health"
                env = {entry["name"]: entry for entry in container["env"]}
                assert env["SYNERGY_ADMIN_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "SYNERGY_ADMIN_KEY"
                port = env["GATEWAY_ADDRESS"]["value"].rpartition(":")[2]
                assert {p["name"]: p["containerPort"] for p in container["ports"]}["http"] == int(port)
            else:
                for probe in (readiness, liveness):
                    assert probe["exec"]["command"] == ["python", "-m", "deploy.healthcheck", name]
                    assert probe["timeoutSeconds"] > 5, "the ping itself may take 5 s"
    services = k8s_of_kind("Service")
    assert [s["spec"]["selector"]["app.kubernetes.io/name"] for s in services] == ["gateway"]


# deploy/healthcheck.py

def test_healthcheck_compiles_and_patches_eventlet_first(tmp_path):
    py_compile.compile(str(HEALTHCHECK), cfile=str(tmp_path / "healthcheck.pyc"), doraise=True)
    tree = ast.parse(HEALTHCHECK.read_text())
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert isinstance(imports[0], ast.Import) and imports[0].names[0].name == "services.common.green"


def test_campus_users_may_only_write_to_ingress_and_read_their_own_reply_queue(definitions):
    """Campus users are granted per deployment (deploy.bus_access), never kept in the file with a password hash;
    a grant's rights: no configure, ingress only, its own reply queue only; the file bounds every reply queue."""
    assert all("administrator" in u["tags"] for u in definitions["users"]), "a campus user in the definitions"
    assert not [q for q in definitions["queues"] if q["name"].startswith(bus.REPLY_QUEUE_PREFIX)]
    for name in ("museum-ticketing", "portal.v2", "a"):
        grant = bus_access.permissions_for(name)
        assert grant["configure"] == "^$"
        assert re.fullmatch(grant["write"], bus.INGRESS_EXCHANGE)
        reply = bus.reply_queue_of(name)
        assert re.fullmatch(grant["read"], reply), "it may read its reply queue"
        for other in (bus.DEAD_LETTER_QUEUE, bus.UNROUTED_QUEUE, bus.reply_queue_of(name + "x"), "synergy.replies.a",
                      "synergy.events.ingress", reply.replace(".", "x")):
            assert other == reply or not re.fullmatch(grant["read"], other), f"{name} may read {other}"
        assert not re.fullmatch(grant["write"], bus.EVENTS_EXCHANGE) and not re.fullmatch(grant["write"], "")
    (policy,) = [p for p in definitions["policies"] if p["name"] == bus_access.REPLIES_POLICY]
    assert {k: policy[k] for k in bus_access.REPLIES_POLICY_DEFINITION} == bus_access.REPLIES_POLICY_DEFINITION
