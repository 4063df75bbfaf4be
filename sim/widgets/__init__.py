"""Widget panels that notebooks and dashboards arrange: each maps widget values to a scenario.

Panels hold no computation of their own: they edit a scenario, call ``sim`` and show the
result. Notebooks only create a panel and display it.
"""

from IPython import get_ipython
from IPython.display import display

__all__ = ["show"]


def show(output, *objects) -> None:
    """Replace what ``output`` (an ``ipywidgets.Output``) shows; nothing to draw outside a kernel."""
    if get_ipython() is None:  # a script or a test: no front end to draw on
        return
    output.clear_output(wait=True)
    with output:
        display(*objects)
