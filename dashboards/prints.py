"""Prints of documents (PDF): purchase order, sales invoice (with VAT), delivery note and
goods receipt — the company's name, address and tax id from the settings
(QM_COMPANY_NAME, QM_COMPANY_ADDRESS, QM_COMPANY_TAX_ID, QM_CURRENCY), the document's
header, its lines and totals. Chinese (and other non-Latin) text is set in reportlab's
built-in STSong-Light CID font, so names print as entered without font files."""

from __future__ import annotations

import io
from decimal import Decimal

from dashboards import documents as docs
from transactional.config import settings

PRINTABLE = {
    "purchase_order": "Purchase order",
    "sales_invoice": "Invoice",
    "delivery": "Delivery note",
    "goods_receipt": "Goods receipt",
}
# header fields shown per print, in order (documents.view's keys)
HEADER = {
    "purchase_order": ("Date", "Supplier", "Warehouse", "Expected", "Status"),
    "sales_invoice": ("Date", "Customer", "Due", "Status"),
    "delivery": ("Date", "Customer", "Warehouse", "Status"),
    "goods_receipt": ("Date", "Supplier", "Warehouse", "Status"),
}
PRICED = {"purchase_order", "sales_invoice"}
TYPE_KEYS = {v: k for k, v in ((k, docs.label(k)) for k in PRINTABLE)}


def _money(v) -> str:
    return f"{Decimal(v):,.2f}"


def _qty(v) -> str:
    q = Decimal(v).normalize()
    return f"{q:,f}" if q == q.to_integral() else f"{q:,}"


def _font(text: str) -> str:
    return "STSong-Light" if any(ord(c) > 0xFF for c in text) else "Helvetica"


def document_pdf(url: str, role: str, number: str) -> bytes | None:
    """The print of the document (None when the role may not read it or its type has no
    print)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    view = docs.view(url, role, number)
    if view is None:
        return None
    doc_type = TYPE_KEYS.get(view.header["Type"])
    if doc_type is None:
        return None
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    cfg = settings()
    styles = getSampleStyleSheet()

    def para(text: str, style: str = "Normal", size: float | None = None) -> Paragraph:
        base = styles[style]
        st = ParagraphStyle(
            f"{style}-{_font(text)}",
            parent=base,
            fontName=_font(text) if _font(text) != "Helvetica" else base.fontName,
            fontSize=size or base.fontSize,
            leading=(size or base.fontSize) * 1.25,
        )
        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(safe, st)

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{PRINTABLE[doc_type]} {number}",
        author=cfg.company_name,
    )
    story = [para(cfg.company_name, "Heading2")]
    for line in (cfg.company_address, f"Tax id {cfg.company_tax_id}" if cfg.company_tax_id else ""):
        if line:
            story.append(para(line))
    story += [Spacer(1, 6 * mm), para(f"{PRINTABLE[doc_type]} {number}", "Title")]
    rows = [
        [para(k, size=9), para(str(view.header[k]), size=9)]
        for k in HEADER[doc_type]
        if k in view.header
    ]
    head = Table(rows, colWidths=[35 * mm, 120 * mm], hAlign="LEFT")
    head.setStyle(TableStyle([("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [head, Spacer(1, 6 * mm)]
    priced = doc_type in PRICED
    columns = ["#", "SKU", "Item", "Qty"] + (["Unit price", "VAT", "Net"] if priced else [])
    data: list[list] = [columns]
    for r in view.lines.itertuples(index=False):
        cells = [str(r.Line), para(r.SKU, size=8), para(r.Item, size=8), _qty(r.Qty)]
        if priced:
            cells += [_money(r[4]), f"{Decimal(r[5]) * 100:.0f} %", _money(r.Net)]
        data.append(cells)
    widths = [8, 28, 62, 18] + ([24, 14, 24] if priced else [])
    lines = Table(data, colWidths=[w * mm for w in widths], repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE4EE")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    lines.setStyle(TableStyle(style))
    story.append(lines)
    if priced:
        cur = cfg.currency
        totals = Table(
            [
                ["Net", f"{_money(view.header['Net'])} {cur}"],
                ["VAT", f"{_money(view.header['VAT'])} {cur}"],
                ["Total", f"{_money(view.header['Total'])} {cur}"],
            ],
            colWidths=[30 * mm, 45 * mm],
            hAlign="RIGHT",
        )
        totals.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                    ("FONT", (0, 2), (-1, 2), "Helvetica-Bold", 9),
                    ("LINEABOVE", (0, 2), (-1, 2), 0.6, colors.black),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ]
            )
        )
        story += [Spacer(1, 4 * mm), totals]
    pdf.build(story)
    return buf.getvalue()
