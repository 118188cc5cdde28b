"""Real files of the kinds an archive holds, written during the test run by the tools that
make them in the wild: reportlab (PDF with the built-in CJK font STSong-Light), python-docx,
Python's codecs for GB18030 / Big5 / UTF-16, a saved news page with its navigation and footer."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

PDF_PAGES = [
    ["江门市前三季度地区生产总值2810.29亿元，同比增长4.5%。",
     "新会区推动新能源电池产业链发展，中创新航项目投产。"],
    ["第二页：江门日报记者报道，恩平市麦克风产业集群zqxpdf产值增长。"],
]


def chinese_pdf(pages: list[list[str]] = PDF_PAGES, title: str = "江门工业运行通报") -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.setTitle(title)
    for lines in pages:
        pdf.setFont("STSong-Light", 12)
        for n, line in enumerate(lines):
            pdf.drawString(50, 800 - 20 * n, line)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def scanned_pdf() -> bytes:
    """Pages with only drawings on them, as a scanner's PDF holds only images: no text layer."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for _ in range(2):
        pdf.rect(50, 500, 400, 250, fill=1)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def word_document() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "新会区产业发展报告"
    document.core_properties.author = "新会区工信局"
    document.add_heading("新会区产业发展报告", 0)
    document.add_heading("一、新型储能", 1)
    document.add_paragraph("新会区新型储能产业zqxdocx实现规模以上工业总产值45.83亿元。")
    document.add_heading("（一）专精特新", 2)
    document.add_paragraph("全区专精特新中小企业已达120家。")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "指标", (0, 1): "数值", (1, 0): "产值", (1, 1): "45.83亿元"}.items():
        table.cell(row, col).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb(inflated_mib: int = 300) -> bytes:
    """A .docx-shaped zip whose document.xml inflates to `inflated_mib` MiB of zeros (~300 KB on disk)."""
    out = io.BytesIO()
    chunk = b"0" * (1 << 20)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(inflated_mib):
                member.write(chunk)
    return out.getvalue()


GB_TEXT = "江门市前三季度地区生产总值2810.29亿元，同比增长4.5%。新会区推动新能源电池产业zqxgb链发展。"
BIG5_TEXT = "江門市前三季度地區生產總值增長。新會區推動新能源電池產業zqxbig鏈發展。"

SAVED_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>新会区新型储能产业加快发展_江门日报</title>
<meta name="author" content="李明"><meta property="article:published_time" content="2024-03-15T08:30:00+08:00">
<meta property="og:site_name" content="江门日报"></head><body>
<nav><a href="/">首页</a> | <a href="/news">新闻中心</a> | <a href="/about">关于我们</a> | 登录 注册</nav>
<div class="sidebar"><h3>热门文章</h3><ul><li><a href="/a">广告：买房送车位</a></li><li><a href="/b">江门天气预报</a></li></ul></div>
<article><h1>新会区新型储能产业加快发展</h1>
<p>记者 李明 报道：新会区新型储能产业zqxweb实现规模以上工业总产值45.83亿元，同比增长32.5%。中创新航江门基地二期项目已经投产，带动上下游企业集聚发展。</p>
<h2>产业链延链补链</h2>
<p>新会区坚持链长制，围绕电芯、电池管理系统和储能集成，引进配套企业二十多家。区工业和信息化局负责人表示，今年将继续推动专精特新企业培育。</p>
<p>据统计，全区专精特新中小企业已达120家，其中国家级专精特新“小巨人”企业8家。</p>
</article>
<footer>版权所有 © 江门日报社 粤ICP备12345678号 联系我们 网站地图</footer></body></html>"""


def archive_folder(folder: Path) -> Path:
    """One file of each kind, as a policy office's folder holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notice.pdf").write_bytes(chinese_pdf())
    (folder / "report.docx").write_bytes(word_document())
    (folder / "legacy-gb.txt").write_bytes(GB_TEXT.encode("gb18030"))
    (folder / "legacy-big5.txt").write_bytes(BIG5_TEXT.encode("big5"))
    (folder / "utf16.txt").write_bytes(GB_TEXT.replace("zqxgb", "zqxutf").encode("utf-16"))
    (folder / "saved-page.html").write_text(SAVED_PAGE, encoding="utf-8")
    return folder
