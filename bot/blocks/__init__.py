"""Block Kit builders: pure functions from service results to Slack message and view dicts."""
