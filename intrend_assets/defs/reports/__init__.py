"""The reports area: ``trend_report``, what the analyst reads (chart and Markdown)."""
