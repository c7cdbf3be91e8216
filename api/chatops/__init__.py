"""Chat adapters: one small module per platform over one answer model (`answer.py`)."""
