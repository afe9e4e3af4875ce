"""The user interface: the Gradio chat app and the HTML it shows (the only user of Gradio)."""
