"""Benchmarks run by ``manage.py bench [NAME ...] [--quick]``.

Each benchmark measures its baseline in the same run and prints every figure as
a ratio against it; none of them is a test assertion.
"""

# name → dotted path of a function run(quick: bool, out) -> None
BENCHMARKS: dict[str, str] = {
    "ledger": "bench.ledger.run",
}
