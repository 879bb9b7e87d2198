"""Deal a schema's operations over several test functions. Schemathesis runs all operations of a
schema as subtests of ONE test item, and one item runs on one pytest-xdist worker: one long fuzz
test kept a worker busy for minutes while the other sat idle at the end of the suite."""
import zlib

import schemathesis


def shard_of(label: str, shards: int) -> int:
    """A stable shard for an operation label ("GET /api/v1/orders"): the same on every run."""
    return zlib.crc32(label.encode()) % shards


def shard(fixture_name: str, shards: int, k: int, **include):
    """The lazy schema of `fixture_name` restricted to shard k (and to `include`'s filters)."""
    lazy = schemathesis.pytest.from_fixture(fixture_name)
    if include:
        lazy = lazy.include(**include)
    return lazy.include(lambda ctx: shard_of(ctx.operation.label, shards) == k)


def labels(schema) -> list[str]:
    return [result.ok().label for result in schema.get_all_operations()]
