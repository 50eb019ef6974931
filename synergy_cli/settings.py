"""Where the command finds the cluster: command-line options, then the environment, then a profile file.

Profile file (TOML), by default ``~/.config/synergy/profile.toml``, or ``--profile PATH``::

    api_url = "http://127.0.0.1:8000"
    api_key_file = "/path/to/var/admin.key"   # or api_key = "syn_..." (keep the file private)
    amqp_uri = "amqp://guest:guest@127.0.0.1:5672/"   # dead letters only
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import click

DEFAULT_PROFILE = Path("~/.config/synergy/profile.toml")
DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
KNOWN_KEYS = {"api_url", "api_key", "api_key_file", "amqp_uri", "timeout"}


@dataclass(frozen=True)
class Settings:
    api_url: str
    api_key: str | None
    amqp_uri: str
    timeout: float
    sources: dict[str, str]  # setting -> where it came from (never the value of a secret)

    def __repr__(self) -> str:
        return f"Settings(api_url={self.api_url!r}, api_key={'set' if self.api_key else 'unset'})"


def read_profile(path: Path, explicit: bool) -> dict:
    path = path.expanduser()
    if not path.exists():
        if explicit:
            raise click.BadParameter(f"{path} does not exist", param_hint="--profile")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--profile") from None
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise click.BadParameter(f"{path}: unknown settings {', '.join(unknown)} (known: "
                                 f"{', '.join(sorted(KNOWN_KEYS))})", param_hint="--profile")
    if "api_key_file" in data:
        key_file = (path.parent / Path(data.pop("api_key_file")).expanduser())
        try:
            data.setdefault("api_key", key_file.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise click.BadParameter(f"{path}: api_key_file: {exc}", param_hint="--profile") from None
    return data


def resolve(api_url: str | None, profile: str | None, timeout: float | None) -> Settings:
    file_path = Path(profile) if profile else DEFAULT_PROFILE
    data = read_profile(file_path, explicit=profile is not None)
    where = f"profile {file_path}"
    sources: dict[str, str] = {}

    def pick(name: str, option: object, env_name: str | None, default: object) -> object:
        if option is not None:
            sources[name] = "command line"
            return option
        if env_name and os.environ.get(env_name):
            sources[name] = f"environment {env_name}"
            return os.environ[env_name]
        if data.get(name) is not None:
            sources[name] = where
            return data[name]
        sources[name] = "default"
        return default

    url = str(pick("api_url", api_url, "SYNERGY_API_URL", DEFAULT_API_URL)).rstrip("/")
    key = pick("api_key", None, "SYNERGY_API_KEY", None)
    amqp = str(pick("amqp_uri", None, "AMQP_URI", DEFAULT_AMQP_URI))
    seconds = float(pick("timeout", timeout, None, 15.0))
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="SYNERGY_API_URL / --api-url")
    return Settings(api_url=url, api_key=str(key) if key else None, amqp_uri=amqp, timeout=seconds,
                    sources=sources)
