"""Events: joint activities, their organizers, venues, schedule, registration and volunteers."""
