"""`policyqa add` / `remove` end to end: real files of every format, the real embedder, questions only they answer."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.loader import corpus_fingerprint, default_corpus_dir

pytestmark = pytest.mark.slow
PROJECT_ROOT = Path(__file__).resolve().parent.parent

ZHEJIANG_GBK = """浙江省残疾人就业促进办法
第一条 为了促进残疾人就业,制定本办法。
第二条 本办法适用于本省行政区域内的残疾人就业工作。
第三条 用人单位聘用盲人调音师的,按每人每年八千元给予岗位补贴。
"""
# Written as most Chinese documents are, in fullwidth brackets, colons and commas (escaped here so no editor or
# formatter can turn them into ASCII ones).
GUANGDONG_DOCX = [
    "广东省残疾人手语翻译岗位扶持细则",
    "一、总体要求",
    "\uff08一\uff09各地市应当在政务服务大厅配备手语翻译员\uff0c为听力残疾人办事提供无障碍服务。",
    "\uff08二\uff09聘用听力残疾人担任手语教师的社会组织\uff0c给予每月一千二百元社保补贴。"
    "\uff08责任单位\uff1a省残联\uff0c省人社厅\uff09",
]
SICHUAN_PDF = [
    "四川省残疾人竹编技艺传承扶持方案",
    "一、扶持内容",
    "(一)对开设竹编非遗工坊并吸纳残疾人的企业,给予一次性三万元场地补贴。",
]
JIANGSU_HTML = """<html><head><meta charset="utf-8"><title>江苏省残疾人电竞陪练就业指引_江苏省人民政府</title></head>
<body><div class="nav"><a href="/">首页</a> | <a href="/zwgk">政务公开</a> | <a href="/hd">互动交流</a></div>
<div class="breadcrumb">当前位置:首页 > 政务公开 > 通知公告</div>
<div class="TRS_Editor"><p>江苏省残疾人电竞陪练就业指引</p>
<p>一、对培训肢体残疾人从事电竞陪练的机构,每培训一人给予两千元补贴。</p>
<p>二、电竞陪练岗位的残疾人可以居家就业。</p></div>
<div class="footer">版权所有 江苏省人民政府 苏ICP备</div></body></html>"""


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


def _pdf(path: Path, lines: list[str]) -> None:
    pytest.importorskip("reportlab", reason="reportlab (dev extra) generates the test PDF")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path))
    page.setFont("STSong-Light", 12)
    for row, line in enumerate(lines):
        page.drawString(60, 760 - 22 * row, line)
    page.save()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, real_assistant):
    """A copy of the real corpus and index, so adding and removing never touches the project's own."""
    root = tmp_path_factory.mktemp("ingest")
    shutil.copytree(default_corpus_dir() / "documents", root / "corpus" / "documents")
    env = os.environ | {
        "POLICYQA_CORPUS": str(root / "corpus"),
        "POLICYQA_INDEX_DIR": str(root / "index"),
        "POLICYQA_CACHE_DIR": str(root / "cache"),  # its own embedding cache, so what gets embedded can be counted
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    assert _cli("index", env=env).returncode == 0
    files = root / "files"
    files.mkdir()
    (files / "zhejiang.txt").write_bytes(ZHEJIANG_GBK.encode("gbk"))
    import docx

    document = docx.Document()
    for paragraph in GUANGDONG_DOCX:
        document.add_paragraph(paragraph)
    document.save(files / "guangdong.docx")
    _pdf(files / "sichuan.pdf", SICHUAN_PDF)
    (files / "jiangsu.html").write_text(JIANGSU_HTML, encoding="utf-8")
    return root, files, env


def _ask(question: str, env: dict[str, str]) -> dict:
    result = _cli("ask", question, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_add_every_format_and_ask_what_only_the_new_documents_say(workspace):
    _root, files, env = workspace
    cache = Path(env["POLICYQA_CACHE_DIR"]) / "embeddings"
    keys_before = sum(len(json.loads(p.read_text())) for p in cache.glob("*/keys.json"))
    result = _cli(
        "add",
        *(str(files / name) for name in ("zhejiang.txt", "guangdong.docx", "sichuan.pdf", "jiangsu.html")),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("added ") == 4
    # Only the new documents' passages were embedded: the cache grew by a handful of parts, not the corpus.
    keys_after = sum(len(json.loads(p.read_text())) for p in cache.glob("*/keys.json"))
    assert 4 <= keys_after - keys_before <= 12

    zhejiang = _ask("浙江聘用盲人调音师每年补贴多少?", env)
    assert zhejiang["in_scope"] and zhejiang["regions"] == ["浙江"]
    assert "八千元" in zhejiang["passages"][0]["text"] and zhejiang["passages"][0]["clause"] == "第三条"
    guangdong = _ask("广东聘用听力残疾人当手语教师有什么补贴?", env)
    assert "一千二百元" in guangdong["passages"][0]["text"]
    # Fullwidth （二） is a clause marker and （责任单位：…） its units, as their ASCII forms are.
    assert guangdong["passages"][0]["clause"] == "\uff08二\uff09"
    assert guangdong["passages"][0]["units"] == ["省残联", "省人社厅"]
    sichuan = _ask("四川竹编非遗工坊能拿多少场地补贴?", env)
    assert "三万元" in sichuan["passages"][0]["text"]
    jiangsu = _ask("江苏培训残疾人做电竞陪练有补贴吗?", env)
    assert "两千元" in jiangsu["passages"][0]["text"]
    assert all("首页" not in p["text"] and "版权所有" not in p["text"] for p in jiangsu["passages"])
    # the original plans still answer as before
    assert _ask("福建对盲人医疗按摩诊所有哪些扶持?", env)["passages"][0]["id"] == "fujian-5-3"


def test_adding_the_same_file_twice_changes_nothing(workspace):
    root, files, env = workspace
    manifest_before = (root / "index" / "manifest.json").read_text(encoding="utf-8")
    fingerprint_before = corpus_fingerprint(root / "corpus")
    # What an `add` killed after its index swap leaves: its staged corpus and lock, no longer held by anyone.
    abandoned = root / "cache" / "staged-corpus-0123456789abcdef"
    (abandoned / "documents").mkdir(parents=True)
    abandoned.with_name(abandoned.name + ".lock").touch()
    orphan_lock = root / ".index.building-0123456789abcdef.lock"
    orphan_lock.touch()
    # ... and a staged corpus whose owner is alive (this process holds its lock): it must stay.
    live = root / "cache" / "staged-corpus-fedcba9876543210"
    (live / "documents").mkdir(parents=True)
    live_lock = os.open(live.with_name(live.name + ".lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(live_lock, fcntl.LOCK_EX)
    try:
        result = _cli("add", str(files / "zhejiang.txt"), env=env)
    finally:
        os.close(live_lock)
    assert result.returncode == 0 and "unchanged" in result.stdout
    assert (root / "index" / "manifest.json").read_text(encoding="utf-8") == manifest_before
    assert corpus_fingerprint(root / "corpus") == fingerprint_before
    assert not abandoned.exists() and not abandoned.with_name(abandoned.name + ".lock").exists()
    assert not orphan_lock.exists()
    assert live.is_dir()
    shutil.rmtree(live)
    live.with_name(live.name + ".lock").unlink()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("empty.txt", b"", "empty"),
        ("table.xls", b"\xd0\xcf\x11\xe0", "not supported"),
        ("scan.pdf", None, "scanned"),
    ],
)
def test_bad_files_are_refused_with_one_line_and_nothing_added(workspace, tmp_path, name, content, problem):
    root, _, env = workspace
    path = tmp_path / name
    if content is None:
        pytest.importorskip("reportlab")
        from reportlab.pdfgen import canvas

        page = canvas.Canvas(str(path))
        page.rect(100, 100, 200, 200)
        page.save()
    else:
        path.write_bytes(content)
    before = corpus_fingerprint(root / "corpus")
    result = _cli("add", str(path), env=env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert problem in result.stderr.lower()
    assert corpus_fingerprint(root / "corpus") == before


def test_remove_takes_a_document_out_of_corpus_and_index(workspace):
    root, _, env = workspace
    added = _ask("浙江聘用盲人调音师每年补贴多少?", env)["passages"][0]["id"]
    document_id = added.rsplit("-", 1)[0]
    result = _cli("remove", document_id, env=env)
    assert result.returncode == 0, result.stderr
    assert not (root / "corpus" / "documents" / f"{document_id}.txt").exists()
    after = _ask("浙江聘用盲人调音师每年补贴多少?", env)
    assert after["in_scope"] is False and "浙江" in after["message"]
    assert _cli("remove", "no-such-doc", env=env).returncode == 2


def test_upload_in_the_chat_adds_a_document_and_its_region(workspace, tmp_path):
    from assistant.api import Assistant
    from assistant.settings import resolve_settings
    from ui.handlers import ChatHandlers

    _root, _, env = workspace
    settings = resolve_settings(
        corpus_dir=env["POLICYQA_CORPUS"],
        index_dir=env["POLICYQA_INDEX_DIR"],
        environ={"POLICYQA_CACHE_DIR": env["POLICYQA_CACHE_DIR"]},
    )
    handlers = ChatHandlers(Assistant.load(settings=settings, progress=False), settings)
    upload = tmp_path / "hubei.md"
    upload.write_text(
        "# 湖北省残疾人非遗剪纸就业扶持办法\n\n第一条 对吸纳残疾人从事剪纸创作的工作室,给予每年一万五千元补贴。\n",
        encoding="utf-8",
    )
    status, choices = handlers.add_document(str(upload), "", "")
    assert status.startswith("已添加 Added") and "湖北" in choices
    answer = handlers.ask_api("湖北剪纸工作室吸纳残疾人有什么补贴?")
    assert answer["in_scope"] and "一万五千元" in answer["passages"][0]["text"]
    again, _ = handlers.add_document(str(upload), "", "")
    assert again.startswith("已在语料中")
    refused, _ = handlers.add_document(str(tmp_path / "missing.pdf"), "", "")
    assert refused.startswith("未添加") and "missing.pdf" in refused
    off, _ = ChatHandlers(handlers.assistant).add_document(str(upload), "", "")
    assert off.startswith("此服务未开放上传")
