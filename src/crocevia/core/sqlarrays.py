"""PostgreSQL array literals for long lists of query parameters."""


def array_literal(values) -> str:
    """A PostgreSQL array literal of ints and strs, for one `%s::type[]` parameter:
    psycopg adapts a long list element by element, slowly (a tenth of an audit sealing,
    most of a 2,000-key lookup's preparation)."""
    items = (
        str(v) if isinstance(v, int) else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for v in values
    )
    return "{" + ",".join(items) + "}"
