"""The interface in Chinese and English: the message catalogue and how a language is chosen.

Order of choice: `?lang=` on the URL (then kept in a `lang` cookie), the cookie, the
language of a question typed into the search page (a question asked in English is
answered with the English interface), the browser's Accept-Language, DEFAULT_LANG.
Corpus text is never translated here.
"""
from __future__ import annotations

from flask import Request

from .settings import LANGUAGES

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
HTML_LANG = {"zh": "zh-CN", "en": "en"}

# key -> (Chinese, English). Placeholders use str.format names.
MESSAGES: dict[str, tuple[str, str]] = {
    "site_name": ("江门产业搜索", "Jiangmen Industry Search"),
    "tagline": ("搜索报道，或直接提问——每句答案都注明出处。",
                "Search the articles or ask a question — every answer sentence cites its source."),
    "corpus_stats": ("收录 {documents} 篇文章、{passages} 个段落", "{documents} articles, {passages} passages indexed"),
    "skip_to_content": ("跳到主要内容", "Skip to main content"),
    "search_label": ("搜索或提问", "Search or ask a question"),
    "search_placeholder": ("例如：新会区2023年GDP是多少？", "e.g. What was Xinhui's GDP in 2023?"),
    "search_button": ("搜索", "Search"),
    "suggestions_label": ("搜索建议", "Suggestions"),
    "suggestions_count": ("有 {n} 条建议，可用上下方向键选择", "{n} suggestions, use the up and down arrow keys"),
    "filters": ("筛选", "Filters"),
    "source": ("来源", "Source"),
    "any_source": ("全部来源", "All sources"),
    "district": ("地区", "District"),
    "any_district": ("全部地区", "All districts"),
    "date_from": ("起始月份", "From"),
    "date_to": ("截止月份", "To"),
    "date_hint": ("格式：YYYY-MM", "Format: YYYY-MM"),
    "mode": ("检索方式", "Search mode"),
    "mode_hybrid": ("综合（推荐）", "Hybrid (recommended)"),
    "mode_keyword": ("关键词", "Keyword"),
    "mode_vector": ("语义", "Semantic"),
    "apply_filters": ("应用筛选", "Apply filters"),
    "clear_filters": ("清除筛选", "Clear filters"),
    "try_examples": ("试试这些：", "Try one of these:"),
    "results_heading": ("搜索结果", "Results"),
    "results_count": ("约 {total} 条结果（{seconds} 秒）", "About {total} results ({seconds} s)"),
    "results_count_one": ("1 条结果（{seconds} 秒）", "1 result ({seconds} s)"),
    "results_page": ("第 {page} 页", "page {page}"),
    "no_results": ("没有找到与“{q}”相关的内容。", "Nothing found for “{q}”."),
    "no_results_hint": ("试试更短的关键词、去掉筛选条件，或换一种说法。",
                        "Try fewer words, remove the filters, or say it another way."),
    "answer_heading": ("答案", "Answer"),
    "answer_note": ("答案句子原样摘自报道，编号指向出处。",
                    "The answer quotes the articles word for word; the numbers point to the sources."),
    "answer_evidence_zh": ("", "The sources are in Chinese and are shown as written."),
    "no_answer": ("报道中没有找到这个问题的答案。下面是最接近的段落，供参考。",
                  "The articles do not answer this question. The closest passages are below."),
    "citations_heading": ("出处", "Sources"),
    "cite_link": ("出处 {n}", "source {n}"),
    "open_passage": ("查看原文", "Open in article"),
    "in_section": ("章节", "Section"),
    "pagination": ("分页", "Pagination"),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "page_n": ("第 {n} 页", "Page {n}"),
    "language": ("语言", "Language"),
    "switch_to": ("English", "中文"),
    "switch_to_label": ("Switch to English", "切换到中文"),
    "back_to_results": ("返回搜索结果", "Back to results"),
    "back_to_search": ("返回搜索", "Back to search"),
    "date": ("日期", "Date"),
    "series": ("栏目", "Series"),
    "credits": ("署名：", "Credits: "),
    "cited_passage": ("引用的段落", "Cited passage"),
    "doc_lang_note": ("", "This article is in Chinese and is shown as written."),
    "footer_note": ("答案逐句引用报道原文，不生成新内容。", "Answers quote the articles; nothing is made up."),
    "api_link": ("API 文档", "API description"),
    "query_too_long": ("查询太长了：最多 {max} 个字符。", "That query is too long: at most {max} characters."),
    "bad_filter": ("筛选条件有误：日期请用 YYYY-MM-DD、YYYY-MM 或 YYYY。",
                   "A filter is wrong: write dates as YYYY-MM-DD, YYYY-MM or YYYY."),
    "error_400": ("请求有误", "Bad request"),
    "error_404": ("找不到这个页面", "Page not found"),
    "error_405": ("不支持这种请求方式", "Method not allowed"),
    "error_413": ("请求太长", "Request too long"),
    "error_429": ("请求太频繁，请稍后再试", "Too many requests; try again shortly"),
    "error_500": ("服务器出错了", "Something went wrong"),
    "error_503": ("索引还没有建立", "The index is not built yet"),
    "error_hint": ("返回首页重新搜索。", "Go back to the search page and try again."),
    "error_generic": ("出错了", "Error"),
}

# What app.js needs, handed over in data attributes (the CSP forbids inline scripts).
CLIENT_MESSAGES = ("suggestions_label", "suggestions_count")


def translate(lang: str, key: str, **values: object) -> str:
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def choose_language(request: Request, default: str, question_lang: str | None = None) -> str:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(COOKIE, "")
    if kept in LANGUAGES:
        return kept
    if question_lang in LANGUAGES:
        return question_lang
    return request.accept_languages.best_match(LANGUAGES) or default


def format_date(date: str, lang: str) -> str:
    """"2023-11" -> "2023年11月" / "Nov 2023"; other shapes pass through."""
    parts = date.split("-")
    if not date or not all(p.isdigit() for p in parts):
        return date
    numbers = [int(p) for p in parts]
    if lang == "zh":
        units = ("年", "月", "日")
        return "".join(f"{n}{u}" for n, u in zip(numbers, units))
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    if len(numbers) == 1 or not 1 <= numbers[1] <= 12:
        return date
    month = months[numbers[1] - 1]
    return f"{month} {numbers[0]}" if len(numbers) == 2 else f"{numbers[2]} {month} {numbers[0]}"
