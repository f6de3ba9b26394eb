"""Benchmarks for Tipline: `make bench` runs `python -m bench.run`.

- `bench.load`: realistic report bodies and the async HTTP load generator (aiohttp).
- `bench.baselines`: a bare FastAPI app and a naive one-insert-per-request app, for comparison.
- `bench.database`: database commands and database CPU per report, by service
  (`make bench-database`).
- `bench.run`: starts a local stack on free loopback ports, measures, prints, writes results.json.
"""
