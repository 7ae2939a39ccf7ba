"""Alerting on the classified feed: a licence's channels and rules, the alert desk that decides
what fires, resolves and is notified, and the messages it sends (e-mail, signed webhook,
Slack-compatible webhook)."""
