"""The monthly verifiable random sample: freeze a period's reports, draw from public
randomness, record what verifiers found. docs/monthly-sample.md explains it for outsiders."""
