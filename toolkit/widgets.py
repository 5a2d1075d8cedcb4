"""The one interactive-demo pattern: controls + an Output redrawn in place (JupyterLab, Notebook,
Colab)."""

from __future__ import annotations

from typing import Callable


def interactive_plot(callback: Callable, *, run: bool = True, **controls):
    """A ``VBox`` of the ipywidgets ``controls`` above an Output: moving one calls
    ``callback(**values)`` (their ``.value``s) inside the cleared Output and displays the Figure it
    returns. The callback is a plain function (tests call it headless); ``run`` draws once at the
    start."""
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
    if run:
        redraw()
    return W.VBox([W.HBox(list(controls.values())), out])
