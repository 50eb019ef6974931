"""Recommending partners for a planned activity, each with the reasons it was recommended.

No black box: a candidate's score is the sum of the points of its reasons, and every reason is shown.
Only partners that may organize a published activity are candidates.
"""
from __future__ import annotations

from datetime import datetime

from services.partners.domain import MAY_ORGANIZE

POINTS = {"theme": 2.0, "resource": 3.0, "path": 1.0, "performance": 3.0, "experience": 0.2, "conditions": -1.0,
          "lapsed": -2.0}
EXPERIENCE_CAP = 5
# The resources that serve each of the paper's five paths of cultivation.
PATH_RESOURCES: dict[str, tuple[str, ...]] = {
    "resources": ("collection", "database"),
    "space": ("space",),
    "service": ("technical_skill", "database"),
    "activity": ("expert", "funding"),
    "practice": ("student_reach", "space"),
}
RESOURCE_LABELS = {
    "space": ("场地", "space"), "expert": ("专家与讲者", "experts and speakers"),
    "collection": ("馆藏", "collections"), "database": ("数据库", "databases"), "funding": ("经费", "funding"),
    "student_reach": ("学生动员", "student reach"), "technical_skill": ("技术能力", "technical skills"),
}


def _reason(code: str, points: float, zh: str, en: str) -> dict:
    return {"code": code, "points": round(points, 2), "text": {"zh": zh, "en": en}}


def _resource_detail(resource: dict) -> str:
    extra = [str(part) for part in (resource.get("capacity"), resource.get("location")) if part]
    return resource["name"] + (f" ({', '.join(extra)})" if extra else "")


def reasons_for(partner: dict, summary: dict, *, themes: list[str], paths: list[str],
                resources: list[str], now: datetime | None = None) -> list[dict]:
    """Why this partner fits the planned activity; empty when nothing about it fits."""
    reasons = []
    for theme in sorted(set(themes) & set(partner.get("themes", []))):
        reasons.append(_reason("theme", POINTS["theme"], f"关注主题“{theme}”", f"works on the theme '{theme}'"))
    offered = partner.get("resources", [])
    for kind in sorted(set(resources)):
        matching = [item for item in offered if item["kind"] == kind]
        if matching:
            zh, en = RESOURCE_LABELS[kind]
            detail = "; ".join(_resource_detail(item) for item in matching)
            reasons.append(_reason("resource", POINTS["resource"], f"提供所需的{zh}：{detail}",
                                   f"offers the {en} needed: {detail}"))
    kinds = {item["kind"] for item in offered}
    for path in sorted(set(paths)):
        serving = sorted(kinds & set(PATH_RESOURCES.get(path, ())))
        if serving:
            names = ", ".join(RESOURCE_LABELS[kind][1] for kind in serving)
            reasons.append(_reason("path", POINTS["path"], f"其资源服务于“{path}”育人路径",
                                   f"its {names} serve the '{path}' path"))
    if not reasons:
        return []
    index = summary.get("performance_index")
    if index is not None:
        reasons.append(_reason("performance", POINTS["performance"] * index,
                               f"以往评价表现指数 {index:.2f}（{summary['evaluated']} 次评价）",
                               f"past performance index {index:.2f} over {summary['evaluated']} evaluated "
                               f"activities"))
    if summary.get("activities"):
        count = summary["activities"]
        reasons.append(_reason("experience", POINTS["experience"] * min(count, EXPERIENCE_CAP),
                               f"已合作 {count} 次活动", f"has worked on {count} joint activities"))
    if partner["status"] == "approved_with_conditions":
        conditions = "; ".join((partner.get("approval") or {}).get("conditions", []))
        reasons.append(_reason("conditions", POINTS["conditions"], f"附条件通过：{conditions}",
                               f"approved with conditions: {conditions}"))
    expires_at = (partner.get("approval") or {}).get("expires_at")
    if now is not None and isinstance(expires_at, datetime) and expires_at <= now:
        day = expires_at.date().isoformat()
        reasons.append(_reason("lapsed", POINTS["lapsed"], f"资质认定已于 {day} 到期，需重新评估",
                               f"its approval lapsed on {day}: it must be renewed"))
    return reasons


def recommend(partners: list[dict], summaries: dict[str, dict], *, themes: list[str], paths: list[str],
              resources: list[str], limit: int, now: datetime | None = None) -> list[dict]:
    """Candidates ranked by the points of their reasons (ties: more evaluated work first, then id)."""
    ranked = []
    for partner in partners:
        if partner["status"] not in MAY_ORGANIZE:
            continue
        summary = summaries.get(partner["id"], {})
        reasons = reasons_for(partner, summary, themes=themes, paths=paths, resources=resources, now=now)
        if not reasons:
            continue
        ranked.append({"partner_id": partner["id"], "name": partner["name"], "level": partner["level"],
                       "kind": partner["kind"], "status": partner["status"],
                       "score": round(sum(reason["points"] for reason in reasons), 2), "reasons": reasons})
    ranked.sort(key=lambda item: (-item["score"], -summaries.get(item["partner_id"], {}).get("evaluated", 0),
                                  item["partner_id"]))
    return ranked[:limit]
