"""The standard survey items, in zh-CN and en: which template an activity gets by its type and paths.

The core follows ACRL Project Outcome: for each topic four outcome statements (knowledge, confidence,
application, awareness) plus satisfaction on a five-point agreement scale, and two open questions; an
immediate survey and a follow-up some weeks later about application and continued benefit. The scale is
labelled at every point, lowest to highest, so it cannot be read backwards. Beyond the anchor: optional items
for the paths of cultivation an activity serves, and for the outcome dimensions the paper names (its aims).
"""
from __future__ import annotations

IMMEDIATE, FOLLOW_UP = "immediate", "follow_up"
STAGES = (IMMEDIATE, FOLLOW_UP)

AGREEMENT_SCALE = [
    {"value": 1, "zh": "非常不同意", "en": "Strongly disagree"},
    {"value": 2, "zh": "不同意", "en": "Disagree"},
    {"value": 3, "zh": "说不清（既不同意也不反对）", "en": "Neither agree nor disagree"},
    {"value": 4, "zh": "同意", "en": "Agree"},
    {"value": 5, "zh": "非常同意", "en": "Strongly agree"},
]
AGREEING = (4, 5)
SCALE_NOTE = {"zh": "1 = 非常不同意，5 = 非常同意；数字越大表示越同意。",
              "en": "1 = strongly disagree, 5 = strongly agree: a higher number means more agreement."}

OUTCOMES = ("knowledge", "confidence", "application", "awareness")
SATISFACTION = "satisfaction"
FOLLOW_UP_OUTCOMES = ("applied", "continued_benefit", "confidence_lasting")

# Project Outcome topics and their wording of the four outcome statements.
TOPICS: dict[str, dict[str, dict[str, str]]] = {
    "instruction": {
        "knowledge": {"zh": "我学到了有助于学习或研究的新知识。", "en": "I learned something new that will help me "
                      "in my studies or research."},
        "confidence": {"zh": "我对完成课业或研究任务更有信心了。",
                       "en": "I feel more confident about completing my coursework or research."},
        "application": {"zh": "我打算运用在这次活动中学到的内容。", "en": "I intend to apply what I learned."},
        "awareness": {"zh": "我更加了解图书馆及合作单位的资源与服务。",
                      "en": "I am more aware of the resources and services of the library and its partners."},
    },
    "events_programs": {
        "knowledge": {"zh": "我通过这次活动学到了新的东西。", "en": "I learned something new."},
        "confidence": {"zh": "我对活动所涉及的主题更有信心了。", "en": "I feel more confident about the topic."},
        "application": {"zh": "我打算把学到的内容用到学习和生活中。",
                        "en": "I intend to apply what I learned in my studies or life."},
        "awareness": {"zh": "我更加了解图书馆及合作单位举办的活动与服务。",
                      "en": "I am more aware of the programs and services of the library and its partners."},
    },
    "research": {
        "knowledge": {"zh": "我学到了对研究有用的新方法或资源。",
                      "en": "I learned new methods or resources that help my research."},
        "confidence": {"zh": "我对开展研究更有信心了。", "en": "I feel more confident about doing research."},
        "application": {"zh": "我打算在研究中运用所学。", "en": "I intend to apply what I learned in my research."},
        "awareness": {"zh": "我更加了解图书馆提供的研究支持。",
                      "en": "I am more aware of the research support the library offers."},
    },
    "teaching_support": {
        "knowledge": {"zh": "我学到了有助于教学的新内容。", "en": "I learned something new that helps my teaching."},
        "confidence": {"zh": "我对把这些内容融入教学更有信心了。",
                       "en": "I feel more confident about bringing this into my teaching."},
        "application": {"zh": "我打算在教学中运用所学。", "en": "I intend to apply what I learned in my teaching."},
        "awareness": {"zh": "我更加了解图书馆对教学的支持。",
                      "en": "I am more aware of the teaching support the library offers."},
    },
    "digital_special_collections": {
        "knowledge": {"zh": "我通过展览或馆藏学到了新的东西。",
                      "en": "I learned something new from the exhibition or collections."},
        "confidence": {"zh": "我对利用特藏和数字资源更有信心了。",
                       "en": "I feel more confident about using special and digital collections."},
        "application": {"zh": "我打算在学习或研究中使用这些馆藏。",
                        "en": "I intend to use these collections in my studies or research."},
        "awareness": {"zh": "我更加了解图书馆的特藏与数字资源。",
                      "en": "I am more aware of the library's special and digital collections."},
    },
    "space": {
        "knowledge": {"zh": "我在这个空间里学到了新的东西。", "en": "I learned something new in this space."},
        "confidence": {"zh": "我对在这个空间学习和交流更有信心了。",
                       "en": "I feel more confident about learning and meeting in this space."},
        "application": {"zh": "我打算再次使用这个空间。", "en": "I intend to use this space again."},
        "awareness": {"zh": "我更加了解图书馆提供的空间。", "en": "I am more aware of the spaces the library offers."},
    },
    "library_technology": {
        "knowledge": {"zh": "我学会了使用新的技术或设备。", "en": "I learned to use a new technology or device."},
        "confidence": {"zh": "我对使用这项技术更有信心了。",
                       "en": "I feel more confident about using this technology."},
        "application": {"zh": "我打算在学习中运用这项技术。",
                        "en": "I intend to apply this technology in my studies."},
        "awareness": {"zh": "我更加了解图书馆提供的技术与设备。",
                      "en": "I am more aware of the technology the library offers."},
    },
}
TOPIC_NAMES = {
    "instruction": {"zh": "教学培训", "en": "Instruction"},
    "events_programs": {"zh": "活动项目", "en": "Events/Programs"},
    "research": {"zh": "研究支持", "en": "Research"},
    "teaching_support": {"zh": "教学支持", "en": "Teaching Support"},
    "digital_special_collections": {"zh": "数字与特色馆藏", "en": "Digital & Special Collections"},
    "space": {"zh": "空间", "en": "Space"},
    "library_technology": {"zh": "图书馆技术", "en": "Library Technology"},
}

SATISFACTION_ITEM = {"zh": "总体而言，我对这次活动感到满意。", "en": "Overall, I am satisfied with this activity."}

# The Project Outcome topic whose survey fits each activity type; the paths decide where the type does not.
TOPIC_BY_TYPE = {
    "lecture": "instruction", "workshop": "instruction", "exhibition": "digital_special_collections",
    "vr_experience": "library_technology", "reading_promotion": "events_programs", "human_library": "events_programs",
    "essay_contest": "events_programs", "quiz": "events_programs", "classic_recitation": "events_programs",
    "film": "events_programs", "volunteer_service": "events_programs",
}
TOPIC_BY_PATH = {"space": "space", "resources": "digital_special_collections", "service": "instruction"}

# Optional items for the paths of cultivation the activity serves.
PATH_ITEMS = {
    "resources": {"zh": "我发现了想再次使用的馆藏或数据库。",
                  "en": "I found collections or databases I want to use again."},
    "space": {"zh": "活动所在的空间让活动更好。", "en": "The space made the activity better."},
    "service": {"zh": "活动中得到的服务对我有帮助。", "en": "The service I received during the activity helped me."},
    "activity": {"zh": "我愿意向同学推荐这类活动。", "en": "I would recommend activities like this to others."},
    "practice": {"zh": "我在活动中亲身参与了实践（如志愿服务、策展、讲解）。",
                 "en": "I took an active part (volunteering, curating, guiding)."},
}

# The outcome dimensions of cultural cultivation the paper lists (domain.md), as optional items from the aims.
DIMENSIONS: dict[str, dict[str, str]] = {
    "ideology_morality": {"zh": "思想道德", "en": "ideology and morality"},
    "information_literacy": {"zh": "信息素养", "en": "information literacy"},
    "value_guidance": {"zh": "价值观引领", "en": "value guidance"},
    "mind_and_sentiment": {"zh": "陶冶心灵、培养情操", "en": "nurturing the mind and sentiment"},
    "humanistic_literacy": {"zh": "人文素养与人文精神", "en": "humanistic literacy and spirit"},
    "overall_literacy": {"zh": "综合素养", "en": "overall literacy"},
    "emotion_management": {"zh": "情绪管理", "en": "emotion management"},
    "practical_ability": {"zh": "实践能力", "en": "practical ability"},
    "innovation_ability": {"zh": "创新能力", "en": "innovation ability"},
}

FOLLOW_UP_ITEMS = {
    "applied": {"zh": "活动结束后，我已经运用了在活动中学到的内容。",
                "en": "Since the activity, I have applied what I learned."},
    "continued_benefit": {"zh": "这次活动至今仍对我有帮助。", "en": "I continue to benefit from this activity."},
    "confidence_lasting": {"zh": "我依然对活动所涉及的内容有信心。",
                           "en": "I still feel confident about what the activity covered."},
}

OPEN_ITEMS = {
    IMMEDIATE: [
        {"key": "liked_most", "zh": "您最喜欢这次活动的哪一点？", "en": "What did you like most about this activity?"},
        {"key": "improve", "zh": "这次活动可以如何改进？", "en": "What could be improved?"},
    ],
    FOLLOW_UP: [
        {"key": "how_applied", "zh": "您是如何运用所学的？", "en": "How have you applied what you learned?"},
        {"key": "improve", "zh": "图书馆和合作单位还能为您做些什么？",
         "en": "What else could the library and its partners do for you?"},
    ],
}

TEXT_LIMIT = 2000
MAX_ORGANIZER_QUESTIONS = 3


def topic_for(activity_type: str, paths: list[str]) -> str:
    """The Project Outcome topic: by activity type, else by the first path that has one, else events."""
    if activity_type in TOPIC_BY_TYPE:
        return TOPIC_BY_TYPE[activity_type]
    for path in paths:
        if path in TOPIC_BY_PATH:
            return TOPIC_BY_PATH[path]
    return "events_programs"


def _agreement(key: str, text: dict[str, str], *, required: bool, group: str) -> dict:
    return {"key": key, "zh": text["zh"], "en": text["en"], "type": "agreement", "required": required,
            "group": group}


def core_items(topic: str, stage: str) -> list[dict]:
    """The items nobody may edit: the outcome statements and satisfaction (all required)."""
    if stage == FOLLOW_UP:
        items = [_agreement(key, FOLLOW_UP_ITEMS[key], required=True, group="outcome") for key in FOLLOW_UP_OUTCOMES]
    else:
        items = [_agreement(key, TOPICS[topic][key], required=True, group="outcome") for key in OUTCOMES]
    return items + [_agreement(SATISFACTION, SATISFACTION_ITEM, required=True, group="satisfaction")]


def path_items(paths: list[str]) -> list[dict]:
    return [_agreement(f"path_{path}", PATH_ITEMS[path], required=False, group="path")
            for path in paths if path in PATH_ITEMS]


def aim_items(aims: list[str]) -> list[dict]:
    """One optional item per outcome dimension the activity aims at; keys it does not know are skipped."""
    items = []
    for aim in dict.fromkeys(aims):
        name = DIMENSIONS.get(aim)
        if name is None:
            continue
        text = {"zh": f"这次活动提升了我的{name['zh']}。", "en": f"This activity strengthened my {name['en']}."}
        items.append(_agreement(f"aim_{aim}", text, required=False, group="aim"))
    return items


def open_items(stage: str) -> list[dict]:
    return [dict(item, type="text", required=False, group="open") for item in OPEN_ITEMS[stage]]
