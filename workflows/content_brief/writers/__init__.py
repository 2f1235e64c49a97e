"""Writing the brief: the language-model writer, the offline writer, and the brief's Markdown."""
