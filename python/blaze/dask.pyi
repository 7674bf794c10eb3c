"""Type stubs of ``blaze.dask`` (blaze's chunk plan on dask)."""

from typing import Any, Optional

from . import Array, _blaze

class TaskSpec:
    source: str
    files: tuple[tuple[str, str], ...]
    chunks: tuple[tuple[str, str], ...]
    arrays: tuple[tuple[str, str, Any], ...]
    memory_limit: Optional[int]
    block_rows: int
    threads: Optional[int]
    key: str
    def __init__(
        self,
        source: str,
        files: Any,
        chunks: Any,
        arrays: Any,
        memory_limit: Optional[int],
        block_rows: int,
        threads: Optional[int],
    ) -> None: ...

def plan_of(spec: TaskSpec) -> _blaze.TaskPlan: ...
def to_dask(
    expr: Array,
    chunk_rows: Optional[int] = None,
    memory_limit: int | str | None = None,
    threads: Optional[int] = None,
) -> Any: ...
def compute(expr: Array, client: Any = None, **kw: Any) -> Any: ...
