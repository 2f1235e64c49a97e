"""The flagship workflow: a URL in, an approved content brief out (see workflow.py)."""

WORKFLOW_ID = "content-brief"
