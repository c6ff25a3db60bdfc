"""Module 3: evaluation stages behind one interface (``base.Stage``)."""
