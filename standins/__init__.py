"""Stand-ins for what the bot talks to (Slack, an OpenAI-compatible server, an embedding model)
and small clusters to talk about, shared by the tests and the benchmarks.
"""
