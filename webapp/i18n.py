"""The interface in simplified Chinese, English and traditional Chinese: the message
catalogue and how a language is chosen.

Order of choice: `?lang=` on the URL (then kept in a `lang` cookie), the cookie, the
language of a question typed into the search page (a question asked in English gets the
English interface, one typed in traditional characters the traditional one), the
browser's Accept-Language (zh-TW, zh-HK, zh-MO and zh-Hant mean traditional:
languages.py), DEFAULT_LANG. Corpus text is never translated here.

The traditional strings are made from the simplified ones when this module loads, with
OpenCC s2hk (index.to_traditional): character forms only, so the wording stays the one
we wrote, in the Hong Kong standard forms that Hong Kong, Macau and most of Jiangmen's
Cantonese-speaking diaspora read. s2twp would also swap in Taiwan vocabulary (搜尋,
對話方塊), which reads oddly in Hong Kong. TRADITIONAL_WORDS fixes the few terms where
Hong Kong usage is a different word, not only different characters.
"""
from __future__ import annotations

from flask import Request

from index import TRADITIONAL_TAG, to_traditional

from .languages import CHINESE, HTML_LANG, LANGUAGES, ui_language

__all__ = ["CLIENT_MESSAGES", "COOKIE", "COOKIE_MAX_AGE", "HTML_LANG", "MESSAGES", "choose_language",
           "format_date", "translate", "traditional"]

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

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
    "related_only": ("没有段落包含“{q}”这些词，以下是意思最接近的段落。",
                     "No passage contains the words “{q}”; these are the closest in meaning."),
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
    "pdf_page": ("第 {n} 页", "p. {n}"),  # where a passage or quote sits in a PDF
    "refine": ("缩小范围", "Refine"),
    "refine_off": ("取消此筛选", "Remove this filter"),
    "facet_source": ("来源", "Source"),
    "facet_year": ("年份", "Year"),
    "facet_place": ("地区", "Place"),
    "sort_by": ("排序：", "Sort:"),
    "sort_relevance": ("相关度", "Relevance"),
    "sort_date": ("最新", "Newest"),
    "latest_documents": ("最新文章", "Latest documents"),
    "latest_empty": ("还没有文章。", "No documents yet."),
    "undated": ("日期不详", "Undated"),
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
    # The widget's demo page (/widget); the widget's own labels live in widget.js.
    "widget_link": ("嵌入到你的网站", "Embed on your site"),
    "widget_title": ("搜索组件：嵌入到你的网站", "Search widget for your site"),
    "widget_intro": ("一个 script 标签加一个元素，就能把搜索和带出处的答案放进你自己的网页。不需要框架，也不需要构建步骤；组件的样式不会影响你的页面，你的样式也不会弄乱组件。",
                     ("One script tag and one element put our search and cited answers inside your own pages. "
                      "No framework and no build step; the widget's styles stay inside it and yours cannot break it.")),
    "widget_try": ("试一试", "Try it"),
    "widget_inline": ("页面内搜索框（mode=\"inline\"）：", "A box in the page (mode=\"inline\"):"),
    "widget_modal": ("按钮与对话框（mode=\"modal\"），也可以按 / 或 Ctrl-K 打开：",
                     "A button that opens a dialog (mode=\"modal\"); / or Ctrl-K opens it too:"),
    "widget_themed": ("深色主题，以及用 CSS 自定义属性改的颜色、字体和圆角：",
                      "The dark theme, and colours, font and radius changed with CSS custom properties:"),
    "widget_snippet": ("复制这段代码", "The snippet to copy"),
    "widget_snippet_intro": ("把下面两行放进你的页面（script 标签放在 head 或 body 里都可以）：",
                             "Put these two lines in your page (the script tag may go in the head or the body):"),
    "widget_origins": ("出于安全考虑，我们的 API 只回答列在服务器设置 ALLOWED_ORIGINS 里的网站。请把你网站的来源（例如 https://www.example.gov.cn）告诉我们；没有列入的网站上，组件会显示无法连接。",
                       ("For safety, our API answers only the sites listed in the server setting ALLOWED_ORIGINS. "
                        "Send us your site's origin (such as https://www.example.org); on a site not listed the "
                        "widget says it cannot reach the service.")),
    "widget_csp": ("如果你的网站设置了内容安全策略（CSP），请在 script-src 和 connect-src 中加入 {endpoint}。组件不需要 unsafe-inline。",
                   ("If your site sends a Content-Security-Policy, add {endpoint} to script-src and connect-src. "
                    "The widget needs no unsafe-inline.")),
    "widget_version": ("当前版本 {version}。/widget.js 缓存 5 分钟，新版本会自动生效；{pinned} 永久缓存。",
                       ("Current version {version}. /widget.js is cached for 5 minutes, so new releases arrive "
                        "by themselves; {pinned} is cached for good.")),
    "widget_attributes": ("属性", "Attributes"),
    "widget_col_name": ("名称", "Name"),
    "widget_col_values": ("取值", "Values"),
    "widget_col_default": ("默认", "Default"),
    "widget_col_meaning": ("说明", "Meaning"),
    "widget_attr_endpoint": ("我们的服务地址", "Our server's address"),
    "widget_attr_endpoint_default": ("widget.js 所在的网站", "where widget.js came from"),
    "widget_attr_lang": ("界面语言", "Interface language"),
    "widget_attr_lang_default": ("页面的 lang", "the page's lang"),
    "widget_attr_mode": ("inline：页面内的搜索框；modal：一个按钮，打开搜索对话框",
                         "inline: a search box in the page; modal: a button that opens a search dialog"),
    "widget_attr_placeholder": ("搜索框里的提示文字（modal 模式下也是按钮上的文字）",
                                "Hint text in the box (and the button's text in modal mode)"),
    "widget_attr_results": ("显示几条结果", "How many results to show"),
    "widget_attr_theme": ("配色：浅色、深色或跟随系统", "Colours: light, dark, or following the system"),
    "widget_attr_answers": ("auto：提问时显示带出处的答案；off：只搜索",
                            "auto: questions get an answer with citations; off: search only"),
    "widget_attr_sort": ("结果顺序：relevance 按相关度，date 按日期从新到旧（同日按相关度）。",
                         "Result order: relevance, or date for newest first (ties by relevance)."),
    "widget_attr_shortcut": ("/ 和 Ctrl-K 快捷键；页面上第一个没有关闭快捷键的组件响应",
                             "The / and Ctrl-K shortcuts; the first widget on the page that keeps them answers"),
    "widget_theming": ("外观", "Theming"),
    "widget_theming_intro": ("在 jm-search 元素（或它的祖先）上设置这些 CSS 自定义属性：",
                             "Set these CSS custom properties on the jm-search element (or an ancestor):"),
    "widget_prop_accent": ("强调色：链接、边框、编号", "Accent: links, focus ring, numbers"),
    "widget_prop_accent_text": ("强调色上的文字", "Text on the accent colour"),
    "widget_prop_bg": ("背景", "Background"),
    "widget_prop_text": ("文字", "Text"),
    "widget_prop_muted": ("次要文字", "Secondary text"),
    "widget_prop_border": ("边框", "Borders"),
    "widget_prop_mark": ("匹配词的底色", "Background of matched words"),
    "widget_prop_hover": ("选中项的底色", "Background of the selected option"),
    "widget_prop_error": ("错误提示", "Error text"),
    "widget_prop_radius": ("圆角", "Corner radius"),
    "widget_prop_font": ("字体", "Font family"),
    "widget_prop_font_size": ("字号", "Font size"),
    "widget_prop_shadow": ("弹出层阴影", "Shadow of the drop-down and dialog"),
    "widget_prop_panel_height": ("下拉结果的最大高度", "Largest height of the drop-down"),
    "widget_prop_modal_width": ("对话框宽度", "Width of the dialog"),
    "widget_prop_z_index": ("下拉结果的层级", "z-index of the drop-down"),
    "widget_parts": ("需要更细的调整时，可以用 ::part() 选中这些部分：",
                     "For finer changes, these parts can be styled with ::part():"),
    "widget_events": ("事件", "Events"),
    "widget_events_intro": ("组件在元素上派发这些事件（会冒泡，detail 里有详细信息）：",
                            "The widget dispatches these events on the element (they bubble; details in detail):"),
    "widget_event_search": ("开始搜索", "A search started"),
    "widget_event_results": ("结果已显示", "Results are shown"),
    "widget_event_answer": ("答案已显示（或确认没有答案）", "An answer is shown (or there is none)"),
    "widget_event_select": ("打开了结果或出处；调用 preventDefault() 可以自己处理跳转",
                            "A result or citation was opened; preventDefault() to handle it yourself"),
    "widget_event_error": ("出错了（code：network、rate_limited 等）", "Something failed (code: network, rate_limited…)"),
    "widget_event_open": ("对话框打开 / 关闭", "The dialog opened / closed"),
    "widget_keyboard": ("键盘", "Keyboard"),
    "widget_key_open": ("打开对话框，或聚焦搜索框", "Open the dialog, or focus the box"),
    "widget_key_arrows": ("在建议和结果之间移动", "Move through suggestions and results"),
    "widget_key_enter": ("打开选中的结果；没有选中时搜索并回答", "Open the selected result; with none, search and answer"),
    "widget_key_escape": ("关闭对话框（焦点回到原处）或收起结果", "Close the dialog (focus goes back) or fold the results"),
}

# What app.js needs, handed over in data attributes (the CSP forbids inline scripts).
CLIENT_MESSAGES = ("suggestions_label", "suggestions_count")

# Simplified-script words whose Hong Kong term is another word (OpenCC s2hk changes only
# the characters: 服务器 -> 服務器, where Hong Kong writes 伺服器).
TRADITIONAL_WORDS = {"服務器": "伺服器", "默認": "預設", "鏈接": "連結", "信息": "資訊"}


def traditional(text: str) -> str:
    """Interface text in traditional characters: OpenCC s2hk, then TRADITIONAL_WORDS."""
    converted = to_traditional(text)
    for word, replacement in TRADITIONAL_WORDS.items():
        converted = converted.replace(word, replacement)
    return converted


_TRADITIONAL_MESSAGES = {key: traditional(zh) for key, (zh, _) in MESSAGES.items()}


def translate(lang: str, key: str, **values: object) -> str:
    zh, en = MESSAGES[key]
    text = en if lang == "en" else _TRADITIONAL_MESSAGES[key] if lang == TRADITIONAL_TAG else zh
    return text.format(**values) if values else text


def choose_language(request: Request, default: str, question_lang: str | None = None) -> str:
    asked = ui_language(request.args.get("lang"))
    if asked is not None:
        return asked
    kept = request.cookies.get(COOKIE, "")
    if kept in LANGUAGES:
        return kept
    if question_lang in LANGUAGES:
        return question_lang
    return accepted_language(request) or default


def accepted_language(request: Request) -> str | None:
    """The first of the browser's languages (best quality first) that we have."""
    for tag, _quality in request.accept_languages:
        found = ui_language(tag)
        if found is not None:
            return found
    return None


def format_date(date: str, lang: str) -> str:
    """"2023-11" -> "2023年11月" / "Nov 2023"; other shapes pass through."""
    parts = date.split("-")
    if not date or not all(p.isdigit() for p in parts):
        return date
    numbers = [int(p) for p in parts]
    if lang in CHINESE:
        units = ("年", "月", "日")
        return "".join(f"{n}{u}" for n, u in zip(numbers, units))
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    if len(numbers) == 1 or not 1 <= numbers[1] <= 12:
        return date
    month = months[numbers[1] - 1]
    return f"{month} {numbers[0]}" if len(numbers) == 2 else f"{numbers[2]} {month} {numbers[0]}"
