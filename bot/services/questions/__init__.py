"""Answering members' questions: what a message asks (`understanding`), the records' own words
it is read against (`vocabulary`), the answer from the cluster's records (`answers`), and the
use case every entry point calls, with the thread's memory and the log (`asking`)."""
