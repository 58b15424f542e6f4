"""Services: the cluster's domain operations, shared by Slack listeners, the CLI and jobs."""
