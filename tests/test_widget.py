"""The embeddable widget (<jm-search>): the served script, CORS on the API, and the widget in
real headless Chromium on host pages served from other origins (other ports).

Three servers run in threads: our app (ALLOWED_ORIGINS lists the first host only), a host
site whose origin is allowed, and a host site whose origin is not. The host sites serve
examples/embed.html and a few harder pages (modal, strict CSP, hostile CSS). Screenshots go
to test-output/screenshots/widget-*.png.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import requests
from flask import Flask, Response

from tests.chromium import DESKTOP, PHONE, SCREENSHOTS, new_page
from tests.conftest import NO_RATE_LIMITS, REPO_ROOT
from tests.servers import serve_in_thread
from webapp.widget import ATTRIBUTES, EVENTS, PARTS, PROPERTIES, WIDGET_FILE, WidgetScript

EXAMPLE = REPO_ROOT / "examples" / "embed.html"
ZH_QUESTION = "新会区有多少家专精特新企业？"
EN_QUESTION = "How many specialized and sophisticated enterprises does Xinhui have?"
XINHUI = "xinhui-manufacturing-backbone-2024"
GZIP_BUDGET = 15 * 1024


# --- servers -------------------------------------------------------------------------

@dataclass(frozen=True)
class Site:
    api: str  # our app
    host: str  # a host site in ALLOWED_ORIGINS
    other: str  # a host site that is not


MODAL_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Investment promotion</title>
<script src="{api}/widget.js" defer></script></head>
<body><h1>Invest in Jiangmen</h1><button id="before">Before</button>
<p>Our search: <jm-search endpoint="{api}" lang="en" mode="modal"></jm-search></p>
<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p></body></html>"""

STRICT_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>严格 CSP</title>
<script src="{api}/widget.js" defer></script></head>
<body><h1>新闻网站</h1><jm-search endpoint="{api}" lang="zh"></jm-search></body></html>"""
STRICT_CSP = ("default-src 'self'; script-src 'self' {api}; connect-src {api}; style-src 'self'; "
              "img-src 'self'; object-src 'none'; base-uri 'none'")

# Rules written to break an embedded widget: everything hidden, tiny, lime, spaced out,
# all !important. Only html and body are let back in, so the widget is the only thing left.
HOSTILE_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>敌意样式</title>
<style>
* { display: none !important; visibility: hidden !important; opacity: .05 !important; color: lime !important;
    font-size: 4px !important; line-height: 0 !important; letter-spacing: 12px !important;
    text-transform: uppercase !important; font-family: "Comic Sans MS", cursive !important;
    box-sizing: content-box !important; pointer-events: none !important; background: #300 !important; }
html, body { display: block !important; visibility: visible !important; opacity: 1 !important; }
input, mark, li, a, div, span, [role=option], [part] { display: none !important; background: red !important; }
jm-search::before { content: "HACKED" !important; }
</style>
<script src="{api}/widget.js" defer></script></head>
<body><p>这一段被隐藏了。</p><jm-search endpoint="{api}" lang="zh" results="3"></jm-search></body></html>"""


def host_site() -> Flask:
    """A site of another origin that embeds the widget; ENDPOINT is set once our app runs."""
    site = Flask("host_site")

    def page(template: str, csp: str = "") -> Response:
        api = site.config["ENDPOINT"]
        response = Response(template.replace("https://OUR-HOST", api).replace("{api}", api), mimetype="text/html")
        if csp:
            response.headers["Content-Security-Policy"] = csp.replace("{api}", api)
        return response

    site.add_url_rule("/embed.html", "embed", lambda: page(EXAMPLE.read_text(encoding="utf-8")))
    site.add_url_rule("/modal.html", "modal", lambda: page(MODAL_PAGE))
    site.add_url_rule("/strict.html", "strict", lambda: page(STRICT_PAGE, STRICT_CSP))
    site.add_url_rule("/hostile.html", "hostile", lambda: page(HOSTILE_PAGE))
    site.add_url_rule("/favicon.ico", "favicon", lambda: Response(status=204))  # no 404 in the console
    return site


@pytest.fixture(scope="module")
def site(bundled_data_dir, engine):
    from webapp import create_app
    from webapp.settings import WebSettings

    allowed_site, other_site = host_site(), host_site()
    with serve_in_thread(allowed_site) as host, serve_in_thread(other_site) as other:
        settings = WebSettings.for_data_dir(bundled_data_dir, allowed_origins=(host,), **NO_RATE_LIMITS)
        with serve_in_thread(create_app(settings, engine=engine)) as api:
            allowed_site.config["ENDPOINT"] = other_site.config["ENDPOINT"] = api
            yield Site(api, host, other)


@pytest.fixture(scope="module")
def open_api(bundled_data_dir, engine):
    """An app configured with ALLOWED_ORIGINS=* and an admin key."""
    from webapp import create_app
    from webapp.settings import WebSettings

    settings = WebSettings.for_data_dir(bundled_data_dir, allowed_origins=("*",), admin_api_key="k" * 32,
                                        **NO_RATE_LIMITS)
    with serve_in_thread(create_app(settings, engine=engine)) as api:
        yield api


# --- the script itself -------------------------------------------------------------------

def test_widget_script_is_small_and_never_parses_server_html():
    served = WidgetScript.read()  # as sent: with the zh-Hant labels the server adds
    body = served.body
    size = len(served.gzipped)
    assert size < GZIP_BUDGET, f"widget.js is {size} bytes gzipped, over {GZIP_BUDGET}"
    code = re.sub(r"/\*.*?\*/", "", body.decode("utf-8"), flags=re.DOTALL)  # comments may name the sinks
    code = re.sub(r"(?<![:\"'])//.*", "", code)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "DOMParser", "createContextualFragment", "setAttribute(\"style\"", "style="):
        assert sink not in code, f"widget.js uses {sink}"


def test_demo_page_documents_what_the_script_has():
    text = WIDGET_FILE.read_text(encoding="utf-8")
    assert set(re.findall(r"--jm-[a-z-]+", text)) == {name for name, _, _ in PROPERTIES}
    used_parts = {p for group in re.findall(r'part: "([a-z -]+)"', text) for p in group.split()}
    assert used_parts == set(PARTS)
    read = set(re.findall(r'getAttribute\("([a-z]+)"\)', text)) | set(re.findall(r":host\(\[([a-z]+)=", text))
    assert read == {a.name for a in ATTRIBUTES}
    emitted = set(re.findall(r'#emit\("([a-z-]+)"', text))
    assert emitted == {e for name, _, _ in EVENTS for e in name.split(" / ")}


def test_widget_js_is_versioned_and_cached(live_server):
    script = WidgetScript.read()
    plain = requests.get(live_server + "/widget.js", headers={"Accept-Encoding": "identity"}, timeout=30)
    assert plain.status_code == 200 and plain.content == script.body  # widget.js plus its zh-Hant labels
    assert plain.headers["Content-Type"].startswith("text/javascript")
    assert plain.headers["Cache-Control"] == "public, max-age=300"
    assert plain.headers["X-Widget-Version"] == script.version == re.search(
        r'const VERSION = "([^"]+)"', plain.text).group(1)
    assert plain.headers["ETag"] == f'"{script.digest}"'
    assert plain.headers["Access-Control-Allow-Origin"] == "*"  # the script carries no data
    assert plain.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Accept-Encoding" in plain.headers["Vary"]
    again = requests.get(live_server + "/widget.js", timeout=30,
                         headers={"Accept-Encoding": "identity", "If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and not again.content
    zipped = requests.get(live_server + "/widget.js", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.content == plain.content  # requests unzips
    assert int(zipped.headers["Content-Length"]) < GZIP_BUDGET
    pinned = requests.get(live_server + f"/widget.js?v={script.digest}", timeout=30)
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = requests.get(live_server + "/widget.js?v=0123456789abcdef", timeout=30)
    assert stale.headers["Cache-Control"] == "public, max-age=300", "an old hash must not pin the new file"


# --- CORS over HTTP ------------------------------------------------------------------------

def cors_headers(response: requests.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def test_api_answers_an_allowed_origin(site):
    response = requests.get(site.api + "/api/search", params={"q": "储能"}, headers={"Origin": site.host}, timeout=60)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == site.host
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
    # errors too, so the widget can read the error body
    error = requests.get(site.api + "/api/search", headers={"Origin": site.host}, timeout=30)
    assert error.status_code == 400 and error.headers["Access-Control-Allow-Origin"] == site.host
    # how a person might write the setting does not matter: the header is compared normalised
    upper = requests.get(site.api + "/api/suggest", params={"q": "新"}, timeout=30,
                         headers={"Origin": site.host.replace("http://", "HTTP://")})
    assert "Access-Control-Allow-Origin" in upper.headers


def test_api_refuses_other_origins(site, live_server):
    for origin in (site.other, "null", site.host + ".evil.example", "http://evil.example"):
        response = requests.get(site.api + "/api/search", params={"q": "储能"}, headers={"Origin": origin}, timeout=60)
        assert response.status_code == 200  # the server answers; the browser keeps it from the page
        assert cors_headers(response) == {}, origin
        assert "Origin" in response.headers["Vary"]
    # with ALLOWED_ORIGINS unset (the default) no origin is allowed
    default = requests.get(live_server + "/api/suggest", params={"q": "新"}, headers={"Origin": site.host}, timeout=30)
    assert cors_headers(default) == {}


def test_preflight(site):
    def preflight(path: str, origin: str) -> requests.Response:
        return requests.options(site.api + path, timeout=30, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})

    allowed = preflight("/api/ask", site.host)
    assert allowed.status_code == 204 and not allowed.content
    assert allowed.headers["Access-Control-Allow-Origin"] == site.host
    assert set(allowed.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
    assert allowed.headers["Access-Control-Allow-Headers"].lower() == "content-type"
    assert int(allowed.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    refused = preflight("/api/ask", site.other)
    assert refused.status_code == 204 and cors_headers(refused) == {}
    assert preflight("/api/no-such-route", site.host).status_code == 404
    post = requests.post(site.api + "/api/ask", json={"q": ZH_QUESTION}, headers={"Origin": site.host}, timeout=120)
    assert post.status_code == 200 and post.headers["Access-Control-Allow-Origin"] == site.host


def test_star_only_when_configured_and_admin_never(open_api, site):
    anyone = requests.get(open_api + "/api/suggest", params={"q": "新"}, headers={"Origin": "http://any.example"},
                          timeout=30)
    assert anyone.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in anyone.headers
    key = {"Authorization": "Bearer " + "k" * 32}
    for api, origin in ((open_api, "http://any.example"), (site.api, site.host)):
        status = requests.get(api + "/api/admin/status", headers={"Origin": origin, **key}, timeout=30)
        assert cors_headers(status) == {}, api
        preflight = requests.options(api + "/api/admin/documents", timeout=30, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST"})
        assert cors_headers(preflight) == {}, api
    assert requests.get(open_api + "/api/admin/status", headers=key, timeout=30).status_code == 200


# --- the widget in Chromium -------------------------------------------------------------

def shoot(target, name: str) -> None:
    target.screenshot(path=str(SCREENSHOTS / f"widget-{name}.png"))


def shadow_eval(page, script: str, selector: str = "jm-search"):
    """Evaluate `script` with `root` bound to the shadow root of the first `selector`."""
    return page.evaluate(f"(() => {{ const root = document.querySelector({selector!r}).shadowRoot; return {script}; }})()")


def type_query(page, text: str, scope: str = "jm-search") -> None:
    box = page.locator(f"{scope} input[role=combobox]")
    box.click()
    box.fill("")
    box.press_sequentially(text, delay=20)


def test_chinese_question_on_another_origin(browser, site):
    page = new_page(browser)
    requests_seen: list[str] = []
    page.on("request", lambda r: requests_seen.append(r.url) if "/api/search" in r.url else None)
    page.goto(site.host + "/embed.html")
    assert page.evaluate("location.origin") != site.api
    type_query(page, ZH_QUESTION)
    options = page.locator("jm-search [role=option][part~=result]")
    options.first.wait_for()
    assert options.count() == 5
    assert page.locator("jm-search [part=snippet] mark").count() > 0
    assert len(requests_seen) <= 2, "typing is debounced"
    answer = page.locator("jm-search [part=answer][data-answered=true]")
    answer.wait_for(timeout=60_000)
    assert "133家" in page.locator("jm-search [part=answer-text]").inner_text()
    assert page.locator("jm-search [part=answer] h2").inner_text() == "答案"
    box = page.locator("jm-search input")
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == "jm-listbox"
    citation = page.locator("jm-search a[part=citation]").first
    href = citation.get_attribute("href")
    assert re.match(rf"{re.escape(site.api)}/doc/{XINHUI}\?.*hl=\d+-\d+.*#p-{XINHUI}-p\d+$", href), href
    assert citation.get_attribute("target") == "_blank" and citation.get_attribute("rel") == "noopener"
    page.wait_for_timeout(300)  # let the spinner settle
    shoot(page, "inline-zh")
    quote = page.locator("jm-search [part=sources] q").first.inner_text()
    with page.context.expect_page() as opened:
        citation.click()
    doc = opened.value
    doc.wait_for_load_state()
    assert doc.url == href
    assert "".join(m.inner_text() for m in doc.get_by_test_id("quote").all()) == quote
    assert page.js_errors == []
    page.context.close()


def test_english_question_in_the_modal(browser, site):
    page = new_page(browser, lang="en-US")
    page.goto(site.host + "/modal.html")
    trigger = page.locator("jm-search button[part=button]")
    trigger.wait_for()
    assert trigger.inner_text().startswith("Search")
    page.locator("#before").focus()
    page.keyboard.press("Control+k")
    dialog = page.locator("jm-search dialog[part=dialog]")
    dialog.wait_for()
    assert shadow_eval(page, "root.activeElement && root.activeElement.getAttribute('part')") == "input"
    assert page.locator("#before").is_visible()  # the page is still there, behind the modal
    page.keyboard.type(EN_QUESTION, delay=5)
    page.keyboard.press("Enter")
    page.locator("jm-search [part=answer][data-answered=true]").wait_for(timeout=60_000)
    answer = page.locator("jm-search [part=answer]")
    assert answer.locator("h2").inner_text() == "Answer"
    assert "新会区拥有各级专精特新企业133家" in answer.locator("[part=answer-text]").inner_text()
    assert "shown as written" in answer.inner_text()
    results = page.locator("jm-search [role=option][part~=result]")
    results.nth(4).wait_for()
    assert results.count() == 5
    page.wait_for_timeout(300)
    shoot(page, "modal-en")
    page.set_viewport_size(PHONE)
    shoot(page, "modal-en-phone")
    page.set_viewport_size(DESKTOP)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "before", "Escape gives focus back"
    # the button and "/" open it too; closing returns to the button
    trigger.click()
    dialog.wait_for()
    page.locator("jm-search button[part=close]").click()
    dialog.wait_for(state="hidden")
    assert shadow_eval(page, "root.activeElement && root.activeElement.getAttribute('part')") == "button"
    page.locator("h1").click()
    page.keyboard.press("/")
    dialog.wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.js_errors == []
    page.context.close()


def test_keyboard_and_combobox(browser, site):
    page = new_page(browser)
    page.goto(site.host + "/embed.html")
    type_query(page, "新型")
    box = page.locator("jm-search input")
    suggestion = page.locator("jm-search [role=option][part~=suggestion]")
    suggestion.first.wait_for()
    assert page.locator("jm-search [role=listbox]").get_attribute("aria-label") == "搜索结果"
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "jm-option-0"
    assert suggestion.first.get_attribute("aria-selected") == "true"
    chosen = suggestion.first.inner_text()
    box.press("Enter")
    page.wait_for_function("document.querySelector('jm-search').shadowRoot.querySelector('input').value === "
                           f"{chosen!r}")
    page.locator("jm-search [part=snippet] mark", has_text=chosen).first.wait_for()
    box.press("ArrowUp")  # from the box, up goes to the last option: a result
    active = box.get_attribute("aria-activedescendant")
    assert page.locator(f"jm-search #{active}").get_attribute("part") == "option result"
    with page.context.expect_page() as opened:
        box.press("Enter")
    assert re.search(r"/doc/[^?]+\?.*hl=\d+-\d+.*#p-", opened.value.url)
    opened.value.close()
    box.press("Escape")
    assert box.get_attribute("aria-activedescendant") is None
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    assert page.locator("jm-search [part=panel]").is_hidden()
    box.press("ArrowDown")
    assert page.locator("jm-search [part=panel]").is_visible(), "arrows open the results again"
    box.press("Escape")  # the option the arrow chose
    assert box.get_attribute("aria-activedescendant") is None and box.input_value()
    box.press("Escape")  # the drop-down
    assert page.locator("jm-search [part=panel]").is_hidden() and box.input_value()
    box.press("Escape")  # the text
    assert box.input_value() == ""
    page.locator("h1").click()
    page.keyboard.press("/")
    assert shadow_eval(page, "root.activeElement === root.querySelector('input')")
    assert page.js_errors == []
    page.context.close()


def test_stale_requests_are_cancelled(browser, site):
    page = new_page(browser)
    # Make the first search slow, as a busy server would: its answer must never replace a
    # later query's results, and it is aborted when the next query starts.
    page.add_init_script("""(() => {
      const real = window.fetch; let first = true; window.__aborted = 0;
      window.fetch = (url, options) => {
        if (!String(url).includes('/api/search') || !first) return real(url, options);
        first = false;
        return new Promise((resolve, reject) => {
          options.signal.addEventListener('abort', () => { window.__aborted++; reject(new DOMException('', 'AbortError')); });
          setTimeout(() => real(url, options).then(resolve, reject), 1500);
        });
      };
    })()""")
    page.goto(site.host + "/embed.html")
    type_query(page, "工业")
    page.wait_for_timeout(400)  # the first search is on its way
    type_query(page, "新型储能")
    page.locator("jm-search [part=snippet] mark", has_text="储能").first.wait_for()
    page.wait_for_timeout(1800)  # longer than the slow answer would have taken
    assert page.evaluate("window.__aborted") == 1
    titles = page.locator("jm-search [part=snippet]").all_inner_texts()
    assert titles and all("储能" in t for t in titles[:3])
    assert page.locator("jm-search .group", has_text="搜索结果").count() == 1
    page.context.close()


def test_results_without_the_words_are_labelled_as_close_in_meaning(browser, site):
    page = new_page(browser)
    page.goto(site.host + "/embed.html")
    type_query(page, "xyzzy qwerty")
    page.locator("jm-search [role=option][part~=result]").first.wait_for()
    assert page.locator("jm-search .group", has_text="意思相近的段落").count() == 1
    assert "没有段落包含这些词" in page.locator("jm-search [role=status]").inner_text()
    assert page.js_errors == []
    page.context.close()


def test_origin_not_allowed_gets_no_data(browser, site):
    page = new_page(browser)
    errors: list[dict] = []
    page.expose_function("recordError", lambda detail: errors.append(detail))
    page.goto(site.other + "/embed.html")
    page.evaluate("document.querySelector('jm-search').addEventListener('jm-error', e => recordError(e.detail))")
    type_query(page, ZH_QUESTION)
    error = page.locator("jm-search [part=error]")
    error.wait_for()
    assert error.get_attribute("role") == "alert" and error.get_attribute("data-code") == "network"
    assert "无法连接" in error.inner_text()
    assert page.locator("jm-search [role=option]").count() == 0
    assert page.locator("jm-search [part=answer-text]").count() == 0
    assert errors and errors[0]["code"] == "network"
    direct = page.evaluate(f"fetch({site.api + '/api/search?q=x'!r}).then(() => 'read', e => e.name)")
    assert direct == "TypeError", "the browser keeps the response from a page not in ALLOWED_ORIGINS"
    shoot(page, "refused")
    page.context.close()


def test_hostile_css_does_not_break_the_widget(browser, site):
    page = new_page(browser)
    page.goto(site.host + "/hostile.html")
    widget = page.locator("jm-search")
    box = page.locator("jm-search [part=box]")
    box.wait_for()
    assert box.bounding_box()["height"] >= 30 and box.bounding_box()["width"] >= 200
    assert page.locator("body > p").is_hidden(), "the hostile rules do apply to the page"
    type_query(page, "新型储能")
    title = page.locator("jm-search [part=result-title]").first
    title.wait_for()
    assert page.locator("jm-search [part~=result]").count() == 3, "results=3"
    style = title.evaluate("""el => { const s = getComputedStyle(el);
      return {size: parseFloat(s.fontSize), color: s.color, spacing: s.letterSpacing, transform: s.textTransform,
              family: s.fontFamily, visibility: s.visibility}; }""")
    assert style["size"] >= 14 and style["color"] != "rgb(0, 255, 0)" and style["spacing"] == "normal"
    assert style["transform"] == "none" and "Comic" not in style["family"] and style["visibility"] == "visible"
    assert page.locator("jm-search [part=snippet] mark").first.is_visible()
    assert widget.evaluate("el => getComputedStyle(el).display") == "block"
    assert widget.evaluate("el => getComputedStyle(el, '::before').content") in ("none", "normal", '"HACKED"')
    title.click(trial=True)  # still clickable: pointer-events came back
    shoot(page, "hostile")
    page.context.close()


def test_strict_host_csp(browser, site):
    page = new_page(browser)
    page.add_init_script("window.__violations = [];"
                         "document.addEventListener('securitypolicyviolation', e => "
                         "window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
    response = page.goto(site.host + "/strict.html")
    assert "style-src 'self'" in response.headers["content-security-policy"]
    type_query(page, "新型储能")
    page.locator("jm-search [part=snippet] mark").first.wait_for()
    # the styles are ours, not the UA's: the stylesheet was not blocked
    radius = page.locator("jm-search [part=box]").evaluate("el => getComputedStyle(el).borderTopLeftRadius")
    assert radius == "10px"
    assert page.evaluate("window.__violations") == []
    assert page.js_errors == []
    shoot(page, "strict-csp")
    page.context.close()


def test_demo_page_in_both_languages(browser, site):
    for lang, title in (("en", "Search widget for your site"), ("zh", "搜索组件：嵌入到你的网站")):
        page = new_page(browser, lang="en-US" if lang == "en" else "zh-CN")
        page.goto(f"{site.api}/widget?lang={lang}")
        assert page.get_by_role("heading", level=1).inner_text() == title
        snippet = page.get_by_test_id("widget-snippet").inner_text()
        assert f'<script src="{site.api}/widget.js" defer></script>' in snippet
        assert f'<jm-search endpoint="{site.api}" lang="{lang}" mode="inline"></jm-search>' in snippet
        page.screenshot(path=str(SCREENSHOTS / f"widget-demo-page-{lang}.png"), full_page=True)
        type_query(page, "新型储能", scope="[data-testid=demo-inline]")
        page.locator("[data-testid=demo-inline] [part=snippet] mark").first.wait_for()
        shoot(page, f"demo-{lang}")
        if lang == "en":
            for name in ("dark", "custom"):
                page.locator("h1").click()  # a click outside folds the open drop-down away
                type_query(page, "储能", scope=f"[data-testid=demo-{name}]")
                page.locator(f"[data-testid=demo-{name}] [part=result-title]").first.wait_for()
            accent = page.locator("[data-testid=demo-custom] [part=result-title]").first.evaluate(
                "el => getComputedStyle(el).color")
            assert accent == "rgb(164, 38, 44)", "--jm-accent themes the widget"
            dark_bg = page.locator("[data-testid=demo-dark] [part=panel]").evaluate(
                "el => getComputedStyle(el).backgroundColor")
            assert dark_bg == "rgb(31, 36, 48)"
            page.locator("[data-testid=demo-dark] input").focus()
            page.wait_for_timeout(200)
            pair = page.locator(".widget-demo--pair").bounding_box()  # the drop-downs hang below it
            page.screenshot(path=str(SCREENSHOTS / "widget-themes.png"), full_page=True,
                            clip={"x": pair["x"] - 10, "y": pair["y"] - 10, "width": pair["width"] + 20, "height": 520})
            page.locator("h1").click()
            page.keyboard.press("/")  # the modal demo keeps the shortcut
            page.locator("[data-testid=demo-modal] dialog").wait_for()
        assert page.js_errors == [], "our own CSP lets the widget run"
        page.context.close()


def test_english_lines_lead_the_answer_when_the_api_sends_them(browser, site):
    """`english` (one line per citation, issue 7) is optional: shown when present, as text."""
    page = new_page(browser, lang="en-US")

    def with_english(route):
        body = route.fetch().json()
        body["english"] = [{"n": c["n"], "text": f"<b>Line {c['n']}</b>: 133 enterprises", "untranslated": []}
                           for c in body["citations"]]
        route.fulfill(json=body, headers={"Access-Control-Allow-Origin": site.host})

    page.route("**/api/ask?*", with_english)
    page.goto(site.host + "/modal.html")
    page.locator("jm-search button[part=button]").click()
    page.keyboard.type(EN_QUESTION, delay=5)
    page.keyboard.press("Enter")
    english = page.locator("jm-search [part=english] li")
    english.first.wait_for(timeout=60_000)
    assert english.first.inner_text().startswith("<b>Line 1</b>: 133 enterprises")
    assert english.first.locator("a[part=citation]").inner_text() == "[1]"
    assert page.locator("jm-search [part=english] b").count() == 0
    page.context.close()


def test_hostile_document_stays_inert_in_the_widget(browser, hostile_server):
    dialogs: list[str] = []
    page = new_page(browser)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(hostile_server + "/widget?lang=zh")
    scope = "[data-testid=demo-inline]"
    type_query(page, "注入测试段落的编号是什么？", scope=scope)
    page.keyboard.press("Enter")
    hit = page.locator(f"{scope} [part~=result]", has_text="注入测试")
    hit.first.wait_for()
    page.locator(f"{scope} [part=answer]:not([data-answered=pending])").wait_for(timeout=60_000)
    text = page.locator(f"{scope} [part=panel]").inner_text()
    assert "<script>alert(1)</script>注入测试标题<img src=x onerror=alert(1)>" in text
    injected = page.locator(scope).evaluate(
        "el => el.shadowRoot.querySelectorAll('script, img, iframe, b, [onerror], [onmouseover]').length")
    assert injected == 0
    hrefs = page.locator(scope).evaluate("el => [...el.shadowRoot.querySelectorAll('a')].map(a => a.href)")
    assert hrefs and all(h.startswith(hostile_server + "/doc/") for h in hrefs)
    page.wait_for_timeout(300)
    assert dialogs == []
    shoot(page, "hostile-document")
    page.context.close()


def test_element_api_events_and_attributes(browser, site):
    page = new_page(browser)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/ask" in r.url else None)
    page.goto(site.host + "/embed.html")
    page.wait_for_function("customElements.get('jm-search') && customElements.get('jm-search').version")
    page.evaluate("""() => {
      const el = document.querySelector('jm-search');
      window.__events = [];
      for (const type of ['jm-search', 'jm-results', 'jm-answer', 'jm-select'])
        document.addEventListener(type, e => { window.__events.push([type, e.detail]); if (type === 'jm-select') e.preventDefault(); });
      el.setAttribute('answers', 'off');
      el.setAttribute('lang', 'en');
      el.setAttribute('results', '2');
    }""")
    box = page.locator("jm-search input")
    assert box.get_attribute("placeholder") == "Search or ask a question…", "lang re-renders the labels"
    page.evaluate("document.querySelector('jm-search').search('新会区有多少家专精特新企业？')")
    results = page.locator("jm-search [part~=result]")
    results.first.wait_for()
    page.wait_for_timeout(1000)  # longer than the pause before an answer is asked for
    assert results.count() == 2
    assert asked == [] and page.locator("jm-search [part=answer]").is_hidden(), 'answers="off"'
    pages_before = len(page.context.pages)
    results.first.locator("a").click()
    page.wait_for_timeout(300)
    assert len(page.context.pages) == pages_before, "jm-select was cancelled: no new tab"
    events = page.evaluate("window.__events")
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["jm-search", "jm-results"] and kinds[-1] == "jm-select" and "jm-answer" not in kinds
    assert events[1][1]["results"] == 2 and events[1][1]["total"] >= 2
    assert events[-1][1]["kind"] == "result" and events[-1][1]["url"].startswith(site.api + "/doc/")
    page.context.close()
