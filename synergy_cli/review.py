"""The qualification review of partners: start, evidence, score, approve or reject; suspend, reinstate, retire;
the rubric. Each command is one route of the API (docs/partners.md)."""
from __future__ import annotations

import json

import click

from synergy_cli.app import App, body_from, examples, output_options, read_json_file, with_app

DECIDED_COLUMNS = ["id", "name", "status", "approval.outcome", "approval.weighted_total", "approval.expires_at",
                   "approval.conditions"]


@click.group("review")
def review() -> None:
    """A partner's qualification review: start it, add evidence, score it, see the tally."""


@review.command("start")
@click.argument("partner_id")
@click.option("--reason", default="", help="Why the review is held.")
@click.option("--evidence", "evidence", multiple=True, metavar="TITLE=REF",
              help="A document by reference (never stored here); repeat.")
@click.option("--rubric-file", metavar="FILE", help="A rubric of its own for this review (JSON).")
@output_options
@examples("synergy partners review start prt_01... --reason 'applies to co-organize' \\",
          "    --evidence '营业执照=docs://museum/licence'")
@with_app
def start(app: App, partner_id: str, reason: str, evidence: tuple[str, ...], rubric_file: str | None) -> None:
    """Start a qualification review (or a renewal). POST /v1/partners/{id}/review."""
    request = {"reason": reason, "evidence": [_evidence(item) for item in evidence]}
    if rubric_file:
        request["rubric"] = read_json_file(rubric_file)
    show_review(app, app.client.start_review(partner_id, request))


def _evidence(item: str) -> dict:
    title, sep, ref = item.partition("=")
    if not sep or not title.strip() or not ref.strip():
        raise click.BadParameter(f"{item!r} is not TITLE=REF", param_hint="--evidence")
    return {"title": title.strip(), "ref": ref.strip()}


@review.command("show")
@click.argument("partner_id")
@output_options
@examples("synergy partners review show prt_01...")
@with_app
def show(app: App, partner_id: str) -> None:
    """The open review with each reviewer's scores and the tally, the approval, the past reviews.
    GET /v1/partners/{id}/review."""
    found = app.client.review(partner_id)
    if app.fmt == "json":
        app.out.record(found)
        return
    show_review(app, found.get("current") or {}, found)


def show_review(app: App, current: dict, whole: dict | None = None) -> None:
    if app.fmt == "json":
        app.out.record(current)
        return
    summary = {"partner": (whole or {}).get("partner_id") or current.get("partner_id"),
               "status": (whole or {}).get("status") or current.get("status"),
               "review": current.get("state") or current.get("status") or ("none open" if whole else ""),
               "weighted_total": (current.get("tally") or {}).get("weighted_total"),
               "reviewers": (current.get("tally") or {}).get("reviewers")}
    app.out.record({k: v for k, v in summary.items() if v not in (None, "")})
    sheets = current.get("scoresheets") or []
    if sheets and app.fmt == "table":
        click.echo()
        app.out.rows([dict(sheet, scores=json.dumps(sheet.get("scores", {}), ensure_ascii=False))
                      for sheet in sheets], ["reviewer", "scores", "comment"])


@review.command("evidence")
@click.argument("partner_id")
@click.option("--title", required=True)
@click.option("--ref", required=True, help="Where the document is (a reference, not the document).")
@click.option("--kind", default="document", show_default=True)
@output_options
@examples("synergy partners review evidence prt_01... --title 安全预案 --ref docs://museum/safety")
@with_app
def evidence(app: App, partner_id: str, title: str, ref: str, kind: str) -> None:
    """Add a document to the open review. POST /v1/partners/{id}/review/evidence."""
    show_review(app, app.client.add_evidence(partner_id, {"title": title, "ref": ref, "kind": kind}))


@click.command("score")
@click.argument("partner_id")
@click.option("--reviewer", required=True, help="Who scores (one scoresheet each; a second replaces the first).")
@click.option("--score", "scores", multiple=True, required=True, metavar="CRITERION=N",
              help="A score for each criterion of the rubric; repeat.")
@click.option("--comment", default="")
@output_options
@examples("synergy partners score prt_01... --reviewer 协调小组·张 --score legal_qualification=5 \\",
          "    --score resource_fit=4 --score reputation=4 --score safety_compliance=5 --score past_performance=3")
@with_app
def score(app: App, partner_id: str, reviewer: str, scores: tuple[str, ...], comment: str) -> None:
    """Score the open review, one scoresheet per reviewer. POST /v1/partners/{id}/review/scores."""
    sheet = {}
    for item in scores:
        key, sep, value = item.partition("=")
        if not sep or not value.strip().lstrip("-").isdigit():
            raise click.BadParameter(f"{item!r} is not CRITERION=N", param_hint="--score")
        sheet[key.strip()] = int(value)
    show_review(app, app.client.score_review(partner_id, {"reviewer": reviewer, "scores": sheet,
                                                          "comment": comment}))


@click.command("approve")
@click.argument("partner_id")
@click.option("--condition", "conditions", multiple=True, help="Approve with this condition; repeat.")
@click.option("--reason", default="")
@output_options
@examples("synergy partners approve prt_01...",
          "synergy partners approve prt_01... --condition '每场活动前提交安全预案'")
@with_app
def approve(app: App, partner_id: str, conditions: tuple[str, ...], reason: str) -> None:
    """Decide the open review: approved (or approved with conditions). POST /v1/partners/{id}/review/decision."""
    decision = {"outcome": "approved_with_conditions" if conditions else "approved", "reason": reason}
    if conditions:
        decision["conditions"] = list(conditions)
    app.out.record(app.client.decide_review(partner_id, decision).raw, DECIDED_COLUMNS)


@click.command("reject")
@click.argument("partner_id")
@click.option("--reason", required=True, help="Why (the partner is told).")
@output_options
@examples("synergy partners reject prt_01... --reason '资质文件不全'")
@with_app
def reject(app: App, partner_id: str, reason: str) -> None:
    """Decide the open review: rejected. POST /v1/partners/{id}/review/decision."""
    decided = app.client.decide_review(partner_id, {"outcome": "rejected", "reason": reason})
    app.out.record(decided.raw, ["id", "name", "status"])


def status_step(step: str, what: str) -> click.Command:
    def change(app: App, partner_id: str, reason: str) -> None:
        app.out.record(app.client.change_partner_status(partner_id, step, reason).raw, ["id", "name", "status"])
    change.__doc__ = f"{what} POST /v1/partners/{{id}}/{step}."
    change = examples(f"synergy partners {step} prt_01... --reason '...'")(with_app(change))
    change = output_options(click.option("--reason", default="", help="Why (recorded and announced).")(change))
    return click.command(step)(click.argument("partner_id")(change))


@click.group("rubric")
def rubric() -> None:
    """The review rubric: criteria, weights, marks."""


@rubric.command("show")
@output_options
@examples("synergy partners rubric show", "synergy partners rubric show --json > rubric.json")
@with_app
def rubric_show(app: App) -> None:
    """The rubric new reviews use. GET /v1/partner-review-rubric."""
    found = app.client.rubric()
    if app.fmt == "json":
        app.out.record(found)
        return
    app.out.rows(found.get("criteria", []), ["key", "label", "weight"])
    app.out.note(", ".join(f"{k}: {found[k]}" for k in ("scale", "pass_mark", "conditional_mark", "min_reviewers")
                           if k in found))


@rubric.command("set")
@click.argument("path")
@output_options
@examples("synergy partners rubric set rubric.json")
@with_app
def rubric_set(app: App, path: str) -> None:
    """Replace the rubric new reviews use (open reviews keep theirs). PUT /v1/partner-review-rubric."""
    app.out.record(app.client.set_rubric(body_from(path)))


def register(partners: click.Group) -> None:
    for command in (review, score, approve, reject, rubric,
                    status_step("suspend", "Suspend a partner: it may not organize published activities."),
                    status_step("reinstate", "Reinstate a suspended partner to the status it had."),
                    status_step("retire", "Retire a partner for good (an open review is withdrawn).")):
        partners.add_command(command)
