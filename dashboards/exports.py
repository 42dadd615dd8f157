"""Downloads: a `Report` (a titled DataFrame whose rows may be headings or totals) to CSV,
formatted XLSX (openpyxl) and PDF (reportlab). Pure functions, bytes out: the Finance
page and `qm statements` share them."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

LINE, HEADING, TOTAL = "line", "heading", "total"
NUMBER_FORMAT = "#,##0.00;-#,##0.00;0.00"


@dataclass
class Report:
    """A statement or list ready to export. `kinds[i]` says how row i is drawn."""

    title: str
    frame: pd.DataFrame
    subtitle: str = ""
    kinds: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.frame = self.frame.reset_index(drop=True)
        if not self.kinds:
            self.kinds = [LINE] * len(self.frame)
        if len(self.kinds) != len(self.frame):
            raise ValueError(
                f"{self.title}: {len(self.kinds)} row kinds for {len(self.frame)} rows"
            )

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, title: str, subtitle: str = "", total_label: str | None = "Total"
    ) -> Report:
        """A plain list; with total_label, a totals row summing the numeric columns."""
        frame = frame.reset_index(drop=True)
        kinds = [LINE] * len(frame)
        numeric = [c for c in frame.columns[1:] if is_numeric(frame[c])]
        if total_label and numeric and len(frame):
            total = {c: None for c in frame.columns}
            total[frame.columns[0]] = total_label
            for c in numeric:
                # + 0.0 turns a rounded -0.0 into 0.0
                total[c] = round(sum((_num(v) for v in frame[c] if not _missing(v)), 0.0), 2) + 0.0
            frame = pd.DataFrame([*frame.to_dict("records"), total], columns=frame.columns)
            kinds.append(TOTAL)
        return cls(title, frame, subtitle, kinds)

    def total_row(self, label: str) -> pd.Series:
        """The row whose first column is `label` (for tests and summaries)."""
        hits = self.frame[self.frame.iloc[:, 0] == label]
        if hits.empty:
            raise KeyError(f"{self.title}: no row {label!r}")
        return hits.iloc[0]


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, (str, bytes, Decimal, int)):
        return isinstance(v, Decimal) and v.is_nan()
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _num(v) -> float:
    return float(v)


def is_numeric(col: pd.Series) -> bool:
    """True for number columns (Decimal objects included), False for text/dates."""
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    values = [v for v in col if not _missing(v)]
    return bool(values) and all(
        isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in values
    )


def _cell(v):
    if _missing(v):
        return None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, pd.Timestamp):
        return v.date() if v == v.normalize() else v.to_pydatetime()
    return v.item() if hasattr(v, "item") else v


def styled(report: Report):
    """How a page draws a report (a pandas Styler for st.dataframe): numbers with
    thousands separators and two decimals, headings and totals bold, and every missing
    cell blank — a heading's figures, a total row's text columns — never "None" or
    "nan"."""
    frame = report.frame
    numeric = [c for c in frame.columns if is_numeric(frame[c])]
    kinds = report.kinds

    def emphasis(row: pd.Series) -> list[str]:
        weight = "font-weight: bold" if kinds[row.name] in (TOTAL, HEADING) else ""
        return [weight] * len(row)

    return (
        frame.style.format(na_rep="")
        .format("{:,.2f}", subset=numeric, na_rep="")
        .apply(emphasis, axis=1)
    )


# ---------------------------------------------------------------- formula injection
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(v) -> bool:
    """A text a spreadsheet would run as a formula (a customer named `=HYPERLINK(...)`)."""
    return isinstance(v, str) and v.startswith(FORMULA_STARTS)


def neutralise(v):
    """Text that starts like a formula gets a leading apostrophe (CSV: the usual way to
    make a spreadsheet read it as text); everything else is returned unchanged."""
    return "'" + v if is_formula_like(v) else v


def _neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(neutralise)
    return out


# ------------------------------------------------------------------------------- CSV
def to_csv(report: Report | pd.DataFrame) -> bytes:
    """UTF-8 CSV of the rows as shown (headings included, numbers unformatted); text
    that starts like a formula is written with a leading apostrophe."""
    frame = report.frame if isinstance(report, Report) else report
    return (
        _neutral_frame(frame)
        .to_csv(index=False, float_format="%.2f", lineterminator="\r\n")
        .encode("utf-8")
    )


def reports_to_csv(reports: list[Report]) -> bytes:
    """Several reports in one long CSV: statement, subtitle, row, line, column, amount —
    one row per number (text columns are joined into `line`), totals included."""
    rows = []
    for rep in reports:
        numeric = [c for c in rep.frame.columns if is_numeric(rep.frame[c])]
        text = [c for c in rep.frame.columns if c not in numeric]
        for i, rec in enumerate(rep.frame.to_dict("records"), start=1):
            line = " ".join(str(rec[c]) for c in text if not _missing(rec[c]))
            for c in numeric:
                if not _missing(rec[c]):
                    rows.append(
                        {
                            "statement": rep.title,
                            "subtitle": rep.subtitle,
                            "row": i,
                            "kind": rep.kinds[i - 1],
                            "line": line,
                            "column": str(c),
                            "amount": _num(rec[c]),
                        }
                    )
    frame = pd.DataFrame(
        rows, columns=["statement", "subtitle", "row", "kind", "line", "column", "amount"]
    )
    return (
        _neutral_frame(frame)
        .to_csv(index=False, float_format="%.2f", lineterminator="\r\n")
        .encode("utf-8")
    )


# ------------------------------------------------------------------------------ XLSX
def to_xlsx(reports: Report | list[Report]) -> bytes:
    """A workbook with one formatted sheet per report: title, subtitle, bold header,
    thousands separators, bold totals with a rule above, frozen header, fitted widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    reports = [reports] if isinstance(reports, Report) else reports
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    thin = Side(style="thin", color="444444")
    for rep in reports:
        ws = wb.create_sheet(_sheet_name(rep.title, used))
        _text(ws["A1"], rep.title)
        ws["A1"].font = Font(bold=True, size=14)
        _text(ws["A2"], rep.subtitle)
        ws["A2"].font = Font(italic=True, color="555555")
        cols = list(rep.frame.columns)
        numeric = {c for c in cols if is_numeric(rep.frame[c])}
        for j, col in enumerate(cols, start=1):
            cell = _text(ws.cell(row=4, column=j), str(col))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDE4EE")
            cell.border = Border(bottom=thin)
            cell.alignment = Alignment(horizontal="right" if col in numeric else "left")
        for i, (row, kind) in enumerate(zip(rep.frame.itertuples(index=False), rep.kinds)):
            r = 5 + i
            for j, (col, value) in enumerate(zip(cols, row), start=1):
                cell = ws.cell(row=r, column=j)
                v = _cell(value)
                if isinstance(v, str):
                    _text(cell, v)
                else:
                    cell.value = v
                if col in numeric:
                    cell.number_format = NUMBER_FORMAT
                elif isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                if kind == TOTAL:
                    cell.font = Font(bold=True)
                    cell.border = Border(top=thin)
                elif kind == HEADING:
                    cell.font = Font(bold=True, color="1F3864")
        for j, col in enumerate(cols, start=1):
            width = max([len(str(col))] + [len(_shown(v, col in numeric)) for v in rep.frame[col]])
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 10), 60)
        ws.freeze_panes = "A5"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text(cell, value: str):
    """Write `value` as a text cell: openpyxl would store a text starting with `=` as a
    formula; typed as a string it is shown, never run."""
    cell.value = value
    if value is not None:
        cell.data_type = "s"
    return cell


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def _shown(v, numeric: bool) -> str:
    if _missing(v):
        return ""
    return f"{_num(v):,.2f}" if numeric else str(v)


# ------------------------------------------------------------------------------- PDF
def to_pdf(reports: Report | list[Report]) -> bytes:
    """An A4 PDF, one report per page: title, subtitle, a ruled table with right-aligned
    numbers and bold totals."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    reports = [reports] if isinstance(reports, Report) else reports
    wide = any(len(r.frame.columns) > 5 for r in reports)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4) if wide else A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=reports[0].title if reports else "",
        author="Quartermaster",
    )
    styles = getSampleStyleSheet()
    story = []
    for k, rep in enumerate(reports):
        if k:
            story.append(PageBreak())
        story += [
            Paragraph(_esc(rep.title), styles["Title"]),
            Paragraph(_esc(rep.subtitle), styles["Italic"]),
            Spacer(1, 4 * mm),
        ]
        cols = list(rep.frame.columns)
        numeric = [c in {c for c in cols if is_numeric(rep.frame[c])} for c in cols]
        data = [[str(c) for c in cols]]
        for row in rep.frame.itertuples(index=False):
            data.append([_shown(v, n) for v, n in zip(row, numeric)])
        table = Table(data, repeatRows=1, hAlign="LEFT")
        style = [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
            ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE4EE")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
        ]
        for j, n in enumerate(numeric):
            if n:
                style.append(("ALIGN", (j, 0), (j, -1), "RIGHT"))
        for i, kind in enumerate(rep.kinds, start=1):
            if kind == TOTAL:
                style += [
                    ("FONT", (0, i), (-1, i), "Helvetica-Bold", 9),
                    ("LINEABOVE", (0, i), (-1, i), 0.6, colors.black),
                ]
            elif kind == HEADING:
                style.append(("FONT", (0, i), (-1, i), "Helvetica-Bold", 9))
        table.setStyle(TableStyle(style))
        story.append(table)
    if not story:
        story.append(Paragraph("Nothing to report", styles["Title"]))
    doc.build(story)
    return buf.getvalue()


def _esc(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
