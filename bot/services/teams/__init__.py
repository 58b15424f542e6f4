"""Team formation: rosters, the team's thread, and the staff pipeline."""
