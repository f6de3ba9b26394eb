"""Code every Tipline service shares: events, topics, settings, Kafka and MongoDB adapters."""
