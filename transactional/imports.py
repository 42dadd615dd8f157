"""Bulk import of master data and opening stock from CSV or XLSX — all or nothing.

Kinds: items, customers, suppliers, supplier-items, warehouses, carriers, opening-stock.
Every row is validated
through the service layer (the same rules as entering it by hand, with the same
permissions), each in its own savepoint so one bad row does not hide the next: the import
reports EVERY bad row — file line, column, rule, reason — and then raises ImportRejected,
so the caller's transaction rolls back and nothing is imported. Opening stock is posted as
one stock count per warehouse with is_opening=true (Dr 1200 Inventory / Cr 3000 Equity),
so the books open balanced, dated by the caller's `doc_date` (required: dated today by
default, the opening stock would refuse every older delivery).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from transactional.commands import MASTER_COMMANDS, is_text_field, parse_command, validate
from transactional.errors import DomainError, ValidationError
from transactional.models import Item, Supplier, Warehouse
from transactional.services.base import Context
from transactional.services.documents import create_draft, post_document
from transactional.services.handler import price_field, qty_field
from transactional.services.master import check_field, create_master

MAX_ROWS = 100_000
MAX_BYTES = 20 * 1024 * 1024

# kind -> (required columns, optional columns)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "items": (
        ("sku", "name", "category"),
        (
            "unit",
            "pack_size",
            "moq",
            "vat_rate",
            "list_price",
            "active",
            "launched_on",
            "discontinued_on",
            "supply_mode",
        ),
    ),
    "customers": (("code", "name"), ("region", "credit_limit", "payment_terms_days", "active")),
    "suppliers": (("code", "name"), ("payment_terms_days", "default_lead_time_days", "active")),
    "supplier-items": (
        ("supplier_code", "item_sku", "price", "lead_time_days"),
        ("moq", "pack_size"),
    ),
    "warehouses": (("code", "name"), ("active",)),
    "carriers": (("code", "name"), ()),
    "opening-stock": (("item_sku", "warehouse_code", "quantity", "unit_cost"), ()),
}
KINDS = tuple(COLUMNS)
MASTER_KIND = {
    "items": "item",
    "customers": "customer",
    "suppliers": "supplier",
    "supplier-items": "supplier_item",
    "warehouses": "warehouse",
    "carriers": "carrier",
}
# service-layer field -> file column, where they differ
FIELD_COLUMN = {
    "supplier-items": {"supplier_id": "supplier_code", "item_id": "item_sku"},
    "opening-stock": {
        "item_id": "item_sku",
        "warehouse_id": "warehouse_code",
        "qty": "quantity",
        "unit_cost": "unit_cost",
    },
}
TRUE, FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0"}


@dataclass
class RowError:
    line: int
    column: str | None
    rule: str
    message: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        value = (
            self.value
            if self.value is None or isinstance(self.value, (int, str))
            else str(self.value)
        )
        return {
            "line": self.line,
            "column": self.column,
            "field": f"line {self.line}" + (f".{self.column}" if self.column else ""),
            "rule": self.rule,
            "message": self.message,
            "value": value,
        }


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    documents: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "created": self.created,
            "documents": self.documents,
        }


class ImportRejected(ValidationError):
    """At least one row is bad: nothing was imported; `report.errors` lists every one."""

    title = "Import rejected"

    def __init__(self, report: ImportReport):
        n = len(report.errors)
        lines = len({e.line for e in report.errors})
        super().__init__(
            f"{n} problem{'s' * (n != 1)} in {lines} line{'s' * (lines != 1)} "
            f"of the {report.kind} file; nothing was imported",
            errors=[e.as_dict() for e in report.errors],
            rule="import_rejected",
        )
        self.report = report


# ---------------------------------------------------------------- reading files
def read_table(content: bytes, filename: str = "") -> tuple[list[str], list[tuple[int, dict]]]:
    """Header (lower-cased, trimmed) and data rows as (file line, {column: cell}) of a
    CSV (UTF-8, comma/semicolon/tab) or XLSX file (first sheet). Blank rows are skipped."""
    if len(content) > MAX_BYTES:
        raise _file_error(
            f"the file is larger than {MAX_BYTES // 1024 // 1024} MiB", "max_file_size"
        )
    is_xlsx = filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04"
    raw = _xlsx_rows(content) if is_xlsx else _csv_rows(content)
    header: list[str] | None = None
    rows: list[tuple[int, dict]] = []
    for line, cells in raw:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if header is None:
            header = [str(c).strip().lower() if c is not None else "" for c in cells]
            continue
        if len(rows) >= MAX_ROWS:
            raise _file_error(f"more than {MAX_ROWS} rows", "max_rows")
        rows.append(
            (
                line,
                {
                    name: _cell(cells[i]) if i < len(cells) else None
                    for i, name in enumerate(header)
                    if name
                },
            )
        )
    if header is None:
        raise _file_error("the file is empty: expected a header row", "header_required")
    return header, rows


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("the file is neither UTF-8 CSV nor XLSX", "file_format") from None
    if "\x00" in text:
        raise _file_error("the file contains NUL characters", "file_format")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise _file_error(f"line {reader.line_num}: {exc}", "file_format") from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [
            (i, list(cells)) for i, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        book.close()
    except Exception:  # noqa: BLE001 - any unreadable upload is the same refusal
        raise _file_error("the file is not a readable XLSX workbook", "file_format") from None
    yield from rows


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _file_error(message: str, rule: str) -> ImportRejected:
    report = ImportReport("file", errors=[RowError(0, None, rule, message)])
    return ImportRejected(report)


# ---------------------------------------------------------------- importing
def import_file(
    ctx: Context, kind: str, content: bytes, filename: str = "", doc_date: dt.date | None = None
) -> ImportReport:
    """Validate and import every row of the file in the caller's transaction; raises
    ImportRejected (after validating every row) when any row is bad."""
    if kind not in COLUMNS:
        raise ValidationError(
            f"kind must be one of {', '.join(KINDS)}, got {kind!r}",
            field="kind",
            value=kind,
            rule="one_of",
        )
    if kind == "opening-stock" and doc_date is None:
        # dated today by default, the opening stock would refuse every older delivery
        raise ValidationError(
            "doc_date is required for an opening stock import: the date on which the "
            "counted quantities were true (before the first document that moves them)",
            field="doc_date",
            value=None,
            rule="required",
        )
    header, rows = read_table(content, filename)
    report = ImportReport(kind, rows=len(rows))
    _check_header(report, kind, header)
    if not any(e.rule == "column_required" for e in report.errors):
        known = set(COLUMNS[kind][0] + COLUMNS[kind][1])
        rows = [(line, {k: v for k, v in row.items() if k in known}) for line, row in rows]
        if kind == "opening-stock":
            _import_opening_stock(ctx, report, rows, doc_date)
        else:
            for line, row in rows:
                if _in_savepoint(
                    ctx,
                    report,
                    kind,
                    line,
                    lambda r=row, n=line: _import_master_row(ctx, kind, r, report, n),
                ):
                    report.created += 1
    if report.errors:
        report.errors.sort(key=lambda e: (e.line, e.column or ""))
        raise ImportRejected(report)
    return report


def import_path(
    ctx: Context, kind: str, path: Path, doc_date: dt.date | None = None
) -> ImportReport:
    """import_file for a file on disk."""
    return import_file(ctx, kind, path.read_bytes(), path.name, doc_date)


def _check_header(report: ImportReport, kind: str, header: list[str]) -> None:
    required, optional = COLUMNS[kind]
    for name in required:
        if name not in header:
            report.errors.append(
                RowError(1, name, "column_required", f"required column {name!r} is missing")
            )
    seen = set()
    for name in header:
        if name and name not in required and name not in optional:
            report.errors.append(
                RowError(
                    1,
                    name,
                    "unknown_column",
                    f"unknown column {name!r}; expected {', '.join(required + optional)}",
                )
            )
        if name and name in seen:
            report.errors.append(
                RowError(1, name, "duplicate_column", f"column {name!r} appears twice")
            )
        seen.add(name)


class RowRejected(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors


def _in_savepoint(ctx: Context, report: ImportReport, kind: str, line: int, work) -> bool:
    """Run one row's work in a savepoint; a DomainError becomes row errors."""
    savepoint = ctx.session.begin_nested()
    try:
        work()
        savepoint.commit()
        return True
    except RowRejected as exc:
        savepoint.rollback()
        report.errors.extend(exc.errors)
        return False
    except DomainError as exc:
        savepoint.rollback()
        report.errors.extend(_row_errors(kind, line, exc))
        return False


def _row_errors(kind: str, line: int, exc: DomainError) -> list[RowError]:
    mapping: dict[Any, str] = FIELD_COLUMN.get(kind, {})  # looked up with a field or None
    entries: list[dict[str, Any]] = exc.errors or [
        {"field": exc.field, "rule": exc.rule, "message": exc.message, "value": exc.value}
    ]
    return [
        RowError(
            line,
            mapping.get(e.get("field"), e.get("field")),
            e.get("rule", exc.rule),
            e.get("message", exc.message),
            e.get("value"),
        )
        for e in entries
    ]


def _boolean(value: Any, column: str) -> Any:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValidationError(
        f"{column} must be true or false, got {value!r}", field=column, value=value, rule="boolean"
    )


def _import_master_row(ctx: Context, kind: str, row: dict, report: ImportReport, line: int) -> None:
    data = {k: v for k, v in row.items() if v is not None}
    command_model = MASTER_COMMANDS[MASTER_KIND[kind]]
    bad_cells: list[RowError] = []
    for column, value in list(data.items()):
        try:
            if column == "active":
                data["active"] = value = _boolean(value, "active")
            elif (
                is_text_field(command_model, column)
                and isinstance(value, (int, float, Decimal))
                and not isinstance(value, bool)
            ):
                data[column] = value = str(value)  # a numeric code read from a spreadsheet
            if column not in ("supplier_code", "item_sku"):
                check_field(ctx, MASTER_KIND[kind], column, value)
        except DomainError as exc:
            bad_cells.extend(_row_errors(kind, line, exc))
    if bad_cells:  # every bad cell of the row, not only the first
        raise RowRejected(bad_cells)
    if kind == "supplier-items":
        supplier = _by_code(
            ctx, Supplier, Supplier.code, data.pop("supplier_code", None), "supplier_id", "supplier"
        )
        item = _by_code(ctx, Item, Item.sku, data.pop("item_sku", None), "item_id", "item")
        data.update(supplier_id=supplier.id, item_id=item.id)
    create_master(ctx, MASTER_KIND[kind], validate(command_model, data, MASTER_KIND[kind]))


def _by_code(ctx: Context, model, column, code: Any, field_name: str, label: str):
    if code is None:
        raise ValidationError(
            f"{field_name} is required", field=field_name, value=None, rule="required"
        )
    obj = ctx.session.execute(select(model).where(column == str(code)[:40])).scalar_one_or_none()
    if obj is None:
        raise ValidationError(
            f"{label} {code!r} does not exist", field=field_name, value=code, rule="must_exist"
        )
    return obj


def _import_opening_stock(
    ctx: Context, report: ImportReport, rows: list[tuple[int, dict]], doc_date: dt.date | None
) -> None:
    """One opening stock count per warehouse, validated row by row, then posted."""
    by_warehouse: dict[int, list[tuple[int, dict]]] = {}
    seen: dict[tuple[int, int], int] = {}
    for line, row in rows:
        errors_before = len(report.errors)
        item = warehouse = None
        try:
            item = _by_code(ctx, Item, Item.sku, row.get("item_sku"), "item_id", "item")
        except DomainError as exc:
            report.errors.extend(_row_errors("opening-stock", line, exc))
        try:
            warehouse = _by_code(
                ctx,
                Warehouse,
                Warehouse.code,
                row.get("warehouse_code"),
                "warehouse_id",
                "warehouse",
            )
        except DomainError as exc:
            report.errors.extend(_row_errors("opening-stock", line, exc))
        for column, check in (
            ("quantity", lambda v: qty_field(v, "quantity", allow_zero=True)),
            ("unit_cost", lambda v: price_field(v, "unit_cost")),
        ):
            try:
                check(row.get(column))
            except DomainError as exc:
                report.errors.extend(_row_errors("opening-stock", line, exc))
        if item and warehouse and (item.id, warehouse.id) in seen:
            report.errors.append(
                RowError(
                    line,
                    "item_sku",
                    "unique_item_per_warehouse",
                    f"item {item.sku} in {warehouse.code} is already on line "
                    f"{seen[(item.id, warehouse.id)]}",
                    item.sku,
                )
            )
        if len(report.errors) == errors_before and item is not None and warehouse is not None:
            seen[(item.id, warehouse.id)] = line
            by_warehouse.setdefault(warehouse.id, []).append(
                (line, {"item_id": item.id, "qty": row["quantity"], "unit_cost": row["unit_cost"]})
            )
    for warehouse_id, lines in by_warehouse.items():
        _post_opening_count(ctx, report, warehouse_id, lines, doc_date)


def _post_opening_count(
    ctx: Context,
    report: ImportReport,
    warehouse_id: int,
    lines: list[tuple[int, dict]],
    doc_date: dt.date | None,
) -> None:
    savepoint = ctx.session.begin_nested()
    try:
        data = {
            "warehouse_id": warehouse_id,
            "is_opening": True,
            "memo": "opening stock import",
            "lines": [ln for _, ln in lines],
        }
        if doc_date is not None:
            data["doc_date"] = doc_date
        command = parse_command("stock_count", data)
        doc = post_document(
            ctx, create_draft(ctx, "stock_count", command, origin="import").id, "stock_count"
        )
        savepoint.commit()
        report.created += len(lines)
        report.documents.append(doc.number)
    except DomainError as exc:
        savepoint.rollback()
        for err in exc.errors or [
            {"field": exc.field, "rule": exc.rule, "message": exc.message, "value": exc.value}
        ]:
            report.errors.append(_line_error(err, lines, exc))


def _line_error(err: dict, lines: list[tuple[int, dict]], exc: DomainError) -> RowError:
    """Map 'lines[3].qty' of the stock count back to the file line and column."""
    field_name = err.get("field") or ""
    line, column = lines[0][0], None
    if field_name.startswith("lines[") and "]" in field_name:
        index = int(field_name[6 : field_name.index("]")])
        if 0 <= index < len(lines):
            line = lines[index][0]
        column = FIELD_COLUMN["opening-stock"].get(field_name.partition("].")[2])
    elif field_name == "doc_date":
        column = "doc_date"
    return RowError(
        line, column, err.get("rule", exc.rule), err.get("message", exc.message), err.get("value")
    )
