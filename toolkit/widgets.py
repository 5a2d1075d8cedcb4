"""Interactive demos built on one pattern: controls + an Output that is redrawn in place.

``interactive_plot(callback, **controls)`` returns a widget box; moving a control calls
``callback(**values)`` inside an ``ipywidgets.Output`` that is cleared first, so plots update in place (in
JupyterLab, classic Notebook and Colab). The callback is a plain function: tests call it headless.
"""
from __future__ import annotations

from typing import Callable


def interactive_plot(callback: Callable, *, run: bool = True, **controls):
    """Build controls -> callback -> Output. ``controls`` are ipywidgets (their ``.value`` is passed).

    Returns the ``VBox`` (display it, or leave it as the cell's last expression).
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    out = W.Output()

    def redraw(_=None):
        with out:
            out.clear_output(wait=True)
            fig = callback(**{k: c.value for k, c in controls.items()})
            if fig is not None:
                display(fig)
                plt.close(fig)

    for c in controls.values():
        c.observe(redraw, names="value")
    box = W.VBox([W.HBox(list(controls.values())), out])
    if run:
        redraw()
    return box
