"""Loads the cases of the paper as demo data, through the public HTTP API only.

    .venv/bin/python -m deploy.demo [--url http://127.0.0.1:8000] [--key-file var/admin.key]

Partners of Zhejiang University's Joy Space (library, youth league, alumni fund, faculties), Shanghai Jiao Tong
University's brand with the Shanghai Science and Technology Museum, Xi'an Jiaotong University with the Fandeng
reading club and Peking University's reading-room volunteers; the outside institutions go through the
qualification review; agreements are signed; one joint activity per case is drafted, submitted, approved and
published. Running it again finds what is there and adds only what is missing.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
RUBRIC_KEYS = ("legal_qualification", "resource_fit", "reputation", "safety_compliance", "past_performance")


def unit(zh: str, en: str, level: str, kind: str, themes: list[str], resources: list[dict] = (),
         contacts: list[dict] = (), description: str = "") -> dict:
    return {"name": {"zh": zh, "en": en}, "level": level, "kind": kind, "themes": themes, "description": description,
            "resources": list(resources), "contacts": list(contacts)}


PARTNERS: dict[str, dict] = {
    "zju_library": unit("浙江大学图书馆文化与特藏部", "ZJU Library Culture and Special Collections", "library",
                        "coordinating_department", ["reading", "culture"],
                        [{"kind": "collection", "name": "特藏文献"},
                         {"kind": "space", "name": "悦·空间", "capacity": 80, "location": "基础图书馆"}],
                        [{"name": "陈老师", "role": "悦·空间负责人", "email": "joyspace@lib.example.edu"}]),
    "zju_youth_league": unit("浙江大学校团委", "ZJU Youth League Committee", "campus", "youth_league",
                             ["reading", "volunteering"],
                             [{"kind": "student_reach", "name": "全校团支部"},
                              {"kind": "funding", "name": "共建经费"}]),
    "zju_alumni_fund": unit("浙江大学校友基金", "ZJU Alumni Fund", "campus", "alumni_fund", ["reading"],
                            [{"kind": "funding", "name": "悦·空间共建基金"}]),
    "zju_humanities": unit("浙江大学人文学院", "ZJU School of Humanities", "campus", "faculty",
                           ["reading", "classics", "poetry"],
                           [{"kind": "space", "name": "教学楼阅读基地", "capacity": 40, "location": "人文学院大楼"},
                            {"kind": "expert", "name": "古典文学教师"}]),
    "zju_medicine": unit("浙江大学医学院", "ZJU School of Medicine", "campus", "faculty", ["reading", "health"],
                         [{"kind": "space", "name": "附属医院阅读角", "capacity": 20, "location": "附属医院"}]),
    "sjtu_library": unit("上海交通大学图书馆", "SJTU Library", "library", "coordinating_department",
                         ["science", "art"], [{"kind": "funding", "name": "李政道科学与艺术基金"},
                                              {"kind": "space", "name": "交图·学堂", "capacity": 120}]),
    "sstm": unit("上海科技馆", "Shanghai Science and Technology Museum", "outside", "science_museum",
                 ["science", "art"],
                 [{"kind": "space", "name": "临展厅", "capacity": 2000, "location": "浦东世纪大道"},
                  {"kind": "expert", "name": "科普讲师团"}, {"kind": "collection", "name": "科学藏品"}],
                 [{"name": "王老师", "role": "馆校合作联络人", "phone": "+86 21 6862 2000",
                   "email": "partnership@sstm.example.org"}]),
    "xjtu_library": unit("西安交通大学图书馆", "XJTU Library", "library", "coordinating_department", ["reading"],
                         [{"kind": "space", "name": "图书馆报告厅", "capacity": 300}]),
    "fandeng": unit("樊登读书会", "Fandeng Reading Club", "outside", "reading_club", ["reading"],
                    [{"kind": "expert", "name": "领读人"}, {"kind": "technical_skill", "name": "线上直播"}],
                    [{"name": "刘经理", "role": "西安分会", "phone": "+86 29 8888 0000"}]),
    "pku_library": unit("北京大学图书馆特藏部", "PKU Library Special Collections", "library", "library_department",
                        ["red_culture", "history"],
                        [{"kind": "collection", "name": "大钊阅览室革命文献"}, {"kind": "space", "name": "大钊阅览室",
                                                                             "capacity": 60}]),
    "pku_volunteers": unit("北京大学大钊阅览室学生志愿者团队", "PKU Li Dazhao Reading Room Volunteers", "campus",
                           "student_club", ["red_culture", "volunteering"],
                           [{"kind": "student_reach", "name": "讲解志愿者"}]),
}

# outside institutions: two reviewers, then the decision
REVIEWS = {
    "sstm": ({"legal_qualification": 5, "resource_fit": 5, "reputation": 5, "safety_compliance": 4,
              "past_performance": 4}, {"outcome": "approved", "reason": "国家级科普场馆，资源与交图·学堂高度契合"}),
    "fandeng": ({"legal_qualification": 4, "resource_fit": 3, "reputation": 3, "safety_compliance": 3,
                 "past_performance": 3}, {"outcome": "approved_with_conditions", "reason": "阅读推广经验丰富",
                                          "conditions": ["图书馆场地内不做商业推广", "学生免费报名"]}),
}

AGREEMENTS = [
    ("sstm", "library", "交图·学堂：科学与艺术联合展览与讲座", 365 * 2,
     [{"side": "partner", "kind": "space", "description": "临展厅用于联合展览"},
      {"side": "partner", "kind": "speakers", "description": "每学期两位科学家讲座"},
      {"side": "counterpart", "kind": "funding", "description": "李政道科学与艺术基金资助", "amount": 200000},
      {"side": "counterpart", "kind": "publicity", "description": "校内宣传"}]),
    ("fandeng", "library", "樊登读书会在图书馆报告厅开展公益读书活动", 365,
     [{"side": "counterpart", "kind": "space", "description": "图书馆报告厅与学生沙龙阅读角"},
      {"side": "partner", "kind": "speakers", "description": "每月一场领读"}]),
    ("zju_alumni_fund", "library", "悦·空间共建：校友基金资助阅读基地", 365 * 3,
     [{"side": "partner", "kind": "funding", "description": "每年资助阅读基地建设", "amount": 100000}]),
]

ACTIVITIES = [
    ("zju_library", ["zju_youth_league", "zju_humanities", "zju_alumni_fund"],
     {"title": {"zh": "悦·空间读书分享会", "en": "Joy Space reading sharing"}, "activity_type": "reading_promotion",
      "paths": ["space", "activity"], "themes": ["reading"], "venue": "人文学院大楼悦·空间"}),
    ("sjtu_library", ["sstm"],
     {"title": {"zh": "交图·学堂：科学与艺术联合展", "en": "SJTU Library Hall: science and art exhibition"},
      "activity_type": "exhibition", "paths": ["resources", "activity"], "themes": ["science", "art"],
      "venue": "上海科技馆临展厅"}),
    ("xjtu_library", ["fandeng"],
     {"title": {"zh": "樊登读书会·图书馆报告厅读书会", "en": "Fandeng reading session in the library hall"},
      "activity_type": "reading_promotion", "paths": ["activity", "space"], "themes": ["reading"],
      "venue": "西安交通大学图书馆报告厅"}),
    ("pku_library", ["pku_volunteers"],
     {"title": {"zh": "大钊阅览室学生志愿讲解", "en": "Student volunteers guide the Li Dazhao reading room"},
      "activity_type": "volunteer_service", "paths": ["practice", "resources"], "themes": ["red_culture"],
      "venue": "北京大学图书馆大钊阅览室"}),
]


class DemoError(RuntimeError):
    pass


class Client:
    def __init__(self, url: str, key: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        response = self.session.request(method, self.url + path, json=body, timeout=30)
        if response.status_code not in expect:
            raise DemoError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json()


def _partner(client: Client, payload: dict) -> dict:
    found = client.call("GET", f"/v1/partners?q={requests.utils.quote(payload['name']['zh'])}")["items"]
    exact = [item for item in found if item["name"]["zh"] == payload["name"]["zh"]]
    return exact[0] if exact else client.call("POST", "/v1/partners", payload)


def load(url: str, key: str, log=print) -> dict[str, str]:
    """Load every case; returns the demo's partner ids by short name."""
    client = Client(url, key)
    ids: dict[str, str] = {}
    for short, payload in PARTNERS.items():
        partner = _partner(client, payload)
        ids[short] = partner["id"]
        log(f"partner {payload['name']['zh']}: {partner['id']} ({partner['status']})")

    for short, (scores, decision) in REVIEWS.items():
        partner_id = ids[short]
        if client.call("GET", f"/v1/partners/{partner_id}")["status"] != "applied":
            continue
        client.call("POST", f"/v1/partners/{partner_id}/review", {
            "reason": "outside institution applying to co-organize",
            "evidence": [{"title": "营业执照 / registration certificate", "ref": f"docs://{short}/licence"}]})
        for reviewer in ("协调小组·张", "协调小组·李"):
            client.call("POST", f"/v1/partners/{partner_id}/review/scores", {"reviewer": reviewer, "scores": scores})
        decided = client.call("POST", f"/v1/partners/{partner_id}/review/decision", decision)
        log(f"review of {short}: {decided['status']} (weighted total {decided['approval']['weighted_total']})")

    today = datetime.now(SHANGHAI).date()
    for short, counterpart, scope, days, commitments in AGREEMENTS:
        partner_id = ids[short]
        if client.call("GET", f"/v1/partners/{partner_id}/agreements")["items"]:
            continue
        signed = client.call("POST", "/v1/agreements", {
            "partner_id": partner_id, "counterpart": counterpart, "scope": scope,
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=days)).isoformat(),
            "commitments": commitments,
            "signed_by": [{"party": "partner", "name": PARTNERS[short]["name"]["zh"], "signed_on": today.isoformat()},
                          {"party": "counterpart", "name": "图书馆馆长", "signed_on": today.isoformat()}]})
        log(f"agreement {signed['id']} with {short} until {signed['ends_on']}")

    start = datetime.now(SHANGHAI).replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=14)
    for n, (lead, co, details) in enumerate(ACTIVITIES):
        if client.call("GET", f"/v1/partners/{ids[lead]}")["collaborations"]:
            continue
        when = start + timedelta(days=7 * n)
        created = client.call("POST", "/v1/activities", dict(
            details, starts_at=when.isoformat(), ends_at=(when + timedelta(hours=2)).isoformat(),
            lead_organizer=ids[lead], co_organizers=[ids[short] for short in co]))
        for step in ("submit", "approve", "publish"):  # the coordination group approves before publication
            client.call("POST", f"/v1/activities/{created['id']}/{step}")
        log(f"activity {details['title']['zh']}: {created['id']} published")
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load the paper's cases into a running Synergy.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the gateway")
    parser.add_argument("--key-file", default=str(ROOT / "var" / "admin.key"), help="the admin API key")
    args = parser.parse_args(argv)
    try:
        load(args.url, Path(args.key_file).read_text().strip())
    except (DemoError, OSError, requests.RequestException) as exc:
        print(f"demo data not loaded: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
