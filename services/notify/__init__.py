"""Notify: subscriptions, signed webhooks, email and inbox, with retries and dead letters."""
