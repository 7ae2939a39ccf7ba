"""Dead letters: every line the pipeline rejected, kept queryable and replayable after a fix."""
