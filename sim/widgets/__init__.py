"""Widget panels that notebooks and dashboards arrange: each maps widget values to a scenario.

Panels hold no computation of their own: they edit a scenario, call ``sim`` and show the
result. Notebooks only create a panel and display it.
"""

import base64
import io

import matplotlib.pyplot as plt
from IPython import get_ipython
from matplotlib.figure import Figure

__all__ = ["show", "WARN", "refinement_status"]

WARN = "<p style='color:#b35900'>{}</p>"  # a message in a panel: what cannot be shown, and why


def refinement_status(count: int, full: int, seed: int, unit: str = "replications") -> str:
    """A refining page's status line (class ``sp-status``): how far it has come, or that it is final.

    >>> refinement_status(40, 1000, 0)
    "<p class='sp-status' style='color:#555'><i>Refining: 40 of 1,000 replications so far…</i></p>"
    """
    if count >= full:
        return f"<p class='sp-status' style='color:#555'>From {count:,} {unit} (seed {seed}), final.</p>"
    return f"<p class='sp-status' style='color:#555'><i>Refining: {count:,} of {full:,} {unit} so far…</i></p>"


def show(output, *objects) -> None:
    """Replace what ``output`` (an ``ipywidgets.Output``) shows by ``objects``, in one update.

    The objects are formatted here and set as the widget's outputs, rather than displayed inside
    ``with output:``: that form routes the kernel's output messages through the widget, which a
    notebook runner (nbclient, under Voila and nbval) emulates as a second front end beside the
    browser -- a race that can leave the page waiting for ever. Figures are drawn once, as PNG, and closed.
    Nothing to draw outside a kernel.
    """
    shell = get_ipython()
    if shell is None:  # a script or a test: no front end to draw on
        return
    outputs = []
    for obj in objects:
        if isinstance(obj, Figure):  # our charts lay themselves out: no second, "tight" drawing pass
            png = io.BytesIO()
            obj.savefig(png, format="png")
            plt.close(obj)
            data, metadata = (
                {"image/png": base64.b64encode(png.getvalue()).decode("ascii"), "text/plain": repr(obj)},
                {},
            )
        else:
            data, metadata = shell.display_formatter.format(obj)
        outputs.append({"output_type": "display_data", "data": data, "metadata": metadata})
    output.outputs = tuple(outputs)
