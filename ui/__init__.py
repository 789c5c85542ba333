"""The Gradio chat. It calls the Assistant API only; gradio is imported here and nowhere below."""
