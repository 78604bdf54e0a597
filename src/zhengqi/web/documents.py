"""Files people download (statements, the monthly report): the CJK fonts they are set in and the
one way HTML becomes a PDF (WeasyPrint; Chinese in Debian's ``fonts-noto-cjk``)."""

from __future__ import annotations

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei")


def html_to_pdf(html: str) -> bytes:
    """A PDF of a page rendered from one of our templates (no remote resources are fetched)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
