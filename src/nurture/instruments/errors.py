class DefinitionError(ValueError):
    """An instrument definition is malformed: names the file, the path inside it and the problem."""

    def __init__(self, source: str, path: str, problem: str):
        self.source, self.path, self.problem = source, path, problem
        super().__init__(f"{source}: {path}: {problem}" if path else f"{source}: {problem}")


class ResponseError(ValueError):
    """Item responses that cannot be scored honestly: names the row and column.

    ``row`` is the 1-based line number in the source file (the header is line 1)
    when the responses came from a file, else the 0-based position.
    """

    def __init__(self, problem: str, *, row: int | None = None, column: str | None = None, source: str = ""):
        self.problem, self.row, self.column, self.source = problem, row, column, source
        super().__init__(self.location() + problem)

    def location(self) -> str:
        parts = [p for p in (self.source, f"row {self.row}" if self.row is not None else "",
                             f"column {self.column}" if self.column else "") if p]
        return (", ".join(parts) + ": ") if parts else ""

    def with_source(self, source: str, row_offset: int = 0) -> "ResponseError":
        row = None if self.row is None else self.row + row_offset
        return ResponseError(self.problem, row=row, column=self.column, source=source)
