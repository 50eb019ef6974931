"""What anyone may know of an activity: the one list that API reads (events.views) and webhook payloads
(policy.webhooks) show to a reader who does not organize it, so a partner learns the same through either door."""
from __future__ import annotations

# statuses in which an activity is everybody's to see (listings, the calendar); the others are its organizers'
PUBLIC_STATUSES = ("published", "in_progress", "completed")

PUBLIC_ACTIVITY_FIELDS = frozenset({
    "id", "title", "activity_type", "paths", "themes", "elements", "audience", "aims", "brand", "series",
    "occurrence", "description", "starts_at", "ends_at", "all_day", "venue", "venue_id", "capacity",
    "registration_opens_at", "registration_closes_at", "status", "published_at", "sequence", "completed_at"})

# of each organizer: who it is and its role, never its contributions, tasks or responsibilities
PUBLIC_ORGANIZER_FIELDS = ("partner_id", "name", "role", "level")


def public_organizers(organizers: list) -> list[dict]:
    return [{name: org.get(name) for name in PUBLIC_ORGANIZER_FIELDS if name in org}
            for org in organizers if isinstance(org, dict)]
