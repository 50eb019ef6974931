"""Settings read from environment variables, with defaults that work on a developer machine.

Every variable the code reads is listed in ``ENVIRONMENT`` so that deploy files can be checked against it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

# name -> (default, meaning). The single list of environment variables the services read.
ENVIRONMENT: dict[str, tuple[str, str]] = {
    "AMQP_URI": ("amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ connection (vhost in the path)"),
    "MONGO_URI": ("mongodb://127.0.0.1:27017/", "MongoDB (or the embedded Mongo-wire server)"),
    "MONGO_DB_PREFIX": ("synergy_", "prefix of each service's own database name"),
    "GATEWAY_ADDRESS": ("127.0.0.1:8000", "where the HTTP gateway listens"),
    "SYNERGY_ADMIN_KEY": ("", "bootstrap API key of the coordination-group admin (empty: no admin access)"),
    "EVENT_DELIVERY_LIMIT": ("5", "redeliveries of a failing event before it is dead-lettered"),
    "OUTBOX_POLL_SECONDS": ("1.0", "how often the outbox relay looks for pending events it was not told of"),
    "WEBHOOK_TIMEOUT_SECONDS": ("15", "a webhook attempt that takes longer has failed"),
    "WEBHOOK_ALLOW_PRIVATE": ("0", "1: allow endpoint URLs on loopback/private addresses (development only)"),
    "DELIVERY_POLL_SECONDS": ("0.5", "how often the webhook worker looks for due deliveries"),
    "WEBHOOK_DISABLE_AFTER_DAYS": ("5", "an endpoint whose deliveries all fail for this many days is disabled"),
    "WEBHOOK_CONCURRENCY_PER_ENDPOINT": ("4", "at most this many webhook requests to one endpoint at a time"),
    "WEBHOOK_ROTATION_OVERLAP_HOURS": ("24", "default hours an old webhook secret still signs after a rotation"),
    "SMTP_HOST": ("127.0.0.1", "SMTP server for email notifications"),
    "SMTP_PORT": ("25", "SMTP port"),
    "SMTP_TLS": ("none", "none | starttls | ssl"),
    "SMTP_CA_FILE": ("", "CA certificates that verify the SMTP server (empty: the system's)"),
    "SMTP_USERNAME": ("", "SMTP user (empty: no login)"),
    "SMTP_PASSWORD": ("", "SMTP password"),
    "SMTP_FROM": ("Synergy <notify@synergy.example>", "sender of email notifications"),
    "PUBLIC_BASE_URL": ("http://127.0.0.1:8000", "base of links in messages (survey invitations)"),
    "ATTENDEE_PAGE_URL": ("", "page where attendees see and cancel their registration (confirmations link "
                              "<page>#activity=…&registration=…&token=…); empty: PUBLIC_BASE_URL/attendee"),
    "CHECKIN_REMINDER_HOURS": ("24", "hours before an activity starts that registrants are reminded"),
    "DISPLAY_TIMEZONE": ("Asia/Shanghai", "zone in which times are shown to people"),
    "LOG_LEVEL": ("INFO", "logging level of the services"),
    "SYNERGY_FAILPOINT": ("", "test-only: name of a point at which the process crashes on purpose"),
    "EMBEDDED_MONGO_PORT": ("27017", "port of the embedded Mongo-wire server the launcher starts"),
    "SURVEY_WINDOW_DAYS": ("14", "days an outcome survey stays open (organizers may set 1-60 per survey)"),
    "SURVEY_FOLLOW_UP_DAYS": ("42", "days after an activity completes that its follow-up survey opens"),
    "SURVEY_MIN_RESPONSES": ("5", "fewer responses than this are shown as 'too few to score'"),
    "EVALUATION_POLL_SECONDS": ("30", "how often evaluation opens and closes due surveys and ends terms"),
    "AGREEMENT_CHECK_SECONDS": ("3600", "how often partners looks for agreements and approvals nearing their end"),
    "APPROVAL_VALID_DAYS": ("365", "how long a partner's qualification approval lasts before it must be renewed"),
    "RENEWAL_NOTICE_DAYS": ("30", "days before an approval lapses when the partner is asked to renew"),
    "PERSONAL_DATA_RETENTION_DAYS": ("180", "days after an activity ends until its registrants' data are anonymised"),
    "EVENTS_SWEEP_SECONDS": ("60", "how often events looks for personal data past their retention period"),
    "TASK_REMINDER_DAYS": ("2", "days before an organizer's task is due that its owner is reminded"),
    "TASK_REMINDER_CHECK_SECONDS": ("300", "how often events looks for organizers' tasks to remind"),
    "RABBITMQ_MANAGEMENT_URL": ("", "RabbitMQ management API, http(s)://[user:password@]host:port (empty: the "
                                    "AMQP_URI host on port 15672, with its credentials); binds bus users to partners"),
    "VENUE_HOLDS_PER_PARTNER": ("60", "future venue bookings a partner's activities may hold at once (from "
                                      "submission); beyond, a submission is refused (409)"),
    "API_PARTNER_STANDING_SECONDS": ("5", "how long the gateway trusts what it learned of a partner's standing "
                                          "(a suspended or retired partner's keys are refused)"),
    "API_RATE_LIMIT_PER_MINUTE": ("600", "requests a minute per key and gateway process (bursts as many); 0: none"),
    "IDEMPOTENCY_KEEP_SECONDS": ("86400", "how long the gateway keeps an Idempotency-Key's answer for replays"),
    "API_MAX_BODY_BYTES": ("1048576", "largest request body the gateway accepts (413 beyond)"),
    "API_ANONYMOUS_RATE_LIMIT_PER_MINUTE": ("120", "requests a minute per client address and gateway process on "
                                                  "public routes and with attendee tokens; 0: none"),
    "API_BODY_READ_SECONDS": ("10", "a request body not received within this is answered 408"),
    "GATEWAY_RPC_TIMEOUT_SECONDS": ("30", "the gateway answers 503 when a service has not answered within this"),
    "CORS_ALLOWED_ORIGINS": ("", "comma-separated origins browsers may call the API from ('*': any); empty: none"),
    "SYNERGY_API_URL": ("http://127.0.0.1:8000", "the API the `synergy` command and the Python client call"),
    "SYNERGY_API_KEY": ("", "the API key the `synergy` command sends (never printed)"),
}


def env(name: str) -> str:
    """The value of one listed variable, or its default."""
    default, _ = ENVIRONMENT[name]
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    amqp_uri: str
    mongo_uri: str
    mongo_db_prefix: str
    gateway_address: str
    admin_key: str
    event_delivery_limit: int
    outbox_poll_seconds: float
    webhook_timeout_seconds: float
    webhook_allow_private: bool
    delivery_poll_seconds: float
    display_timezone: str
    log_level: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            amqp_uri=env("AMQP_URI"),
            mongo_uri=env("MONGO_URI"),
            mongo_db_prefix=env("MONGO_DB_PREFIX"),
            gateway_address=env("GATEWAY_ADDRESS"),
            admin_key=env("SYNERGY_ADMIN_KEY"),
            event_delivery_limit=int(env("EVENT_DELIVERY_LIMIT")),
            outbox_poll_seconds=float(env("OUTBOX_POLL_SECONDS")),
            webhook_timeout_seconds=float(env("WEBHOOK_TIMEOUT_SECONDS")),
            webhook_allow_private=env("WEBHOOK_ALLOW_PRIVATE") == "1",
            delivery_poll_seconds=float(env("DELIVERY_POLL_SECONDS")),
            display_timezone=env("DISPLAY_TIMEZONE"),
            log_level=env("LOG_LEVEL"),
        )


def nameko_config(settings: Settings) -> dict:
    """The nameko container config derived from our settings."""
    return {
        "AMQP_URI": settings.amqp_uri,
        "WEB_SERVER_ADDRESS": settings.gateway_address,
        "SERIALIZER": "json",
        "max_workers": 10,
        "parent_calls_tracked": 10,
    }
