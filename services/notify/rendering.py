"""Messages for people, rendered from Jinja2 templates in zh-CN and en: a subject, a plain-text part, and HTML.

Each template (``templates/<language>/<name>.j2``) has a ``subject`` and a ``text`` block; the HTML part is
the text laid out by ``templates/_layout.html`` with everything escaped.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from services.common.clock import parse_iso
from services.notify.people import LANGUAGES

TEMPLATES = Path(__file__).resolve().parent / "templates"
FOOTER = {"zh-CN": "此邮件由 Synergy 协同平台发送。您可以在通知偏好中选择接收哪些消息。",
          "en": "Sent by Synergy. Choose what you hear about in your notification preferences."}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, display_timezone: str = "Asia/Shanghai"):
        self.zone = ZoneInfo(display_timezone)
        # templates are part of the code: compiled once, not looked at again on disk
        self.texts = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                                        undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                                        auto_reload=False)
        self.pages = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, auto_reload=False)
        self.texts.filters["when"] = self._when
        self.texts.filters["local"] = _local

    def _when(self, value: str | None) -> str:
        if not value:
            return ""
        return parse_iso(value).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def render(self, name: str, language: str, context: dict) -> Rendered:
        if language not in LANGUAGES:
            raise ValueError(f"no templates in {language!r}")
        template = self.texts.get_template(f"{language}/{name}.j2")
        ctx = template.new_context(dict(context, lang=language))
        subject = " ".join("".join(template.blocks["subject"](ctx)).split())
        text = "".join(template.blocks["text"](ctx)).strip() + "\n"
        html = self.pages.get_template("_layout.html").render(
            lang=language, subject=subject, footer=FOOTER[language],
            paragraphs=[p.strip("\n") for p in text.split("\n\n") if p.strip()])
        return Rendered(subject=subject, text=text + "\n-- \n" + FOOTER[language] + "\n", html=html)

    def both(self, name: str, context: dict) -> tuple[dict[str, str], dict[str, str]]:
        """Subject and text in both languages, for inbox items (keys ``zh`` and ``en`` as LocalizedText)."""
        subjects, bodies = {}, {}
        for language, key in (("zh-CN", "zh"), ("en", "en")):
            rendered = self.render(name, language, context)
            subjects[key], bodies[key] = rendered.subject, rendered.text.split("\n-- \n")[0].strip()
        return subjects, bodies


@functools.lru_cache(maxsize=4)
def renderer_for(display_timezone: str) -> Renderer:
    """The process's renderer for a zone. Its environments keep the compiled templates: a renderer made per
    message compiled every template again, a tenth of notify's time under load (bench.fanout)."""
    return Renderer(display_timezone)


@jinja2.pass_context
def _local(ctx, value) -> str:
    """A LocalizedText in the message's language (Chinese when no English is given)."""
    if not isinstance(value, dict):
        return str(value)
    if ctx.get("lang") == "en":
        return value.get("en") or value.get("zh", "")
    return value.get("zh") or value.get("en", "")
