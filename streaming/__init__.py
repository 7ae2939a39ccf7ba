"""Consuming a topic in batches: the piece every hot stage of the pipeline shares."""
