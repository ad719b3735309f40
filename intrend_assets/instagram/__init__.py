"""Instagram, plain Python: the fetch strategies (what each sends and what a good answer looks
like), the classification of refusals into errors the fetch loop decides on, the pooled
client, and the logged-in session's cookies."""
