"""Voila's settings for the project's dashboards (``voila --Voila.config_file_paths=dashboard``).

``make dashboard``, the browser tests and the dashboard benchmark start Voila with them, so all serve:

- the ``salesplay`` template (``dashboard/voila/templates``): Voila's own, minus the stylesheets
  it would fetch from a CDN, so a page asks for nothing outside this machine;
- a page's kernel shut down when the page is closed or left: the page asks for it as it goes, with
  the ``_xsrf`` cookie, which Voila never sets; the identity provider below sets it on every page;
- kernels no page is connected to culled once idle (a browser that crashed sends nothing), their
  worker processes ending with them (``sim.lifetime``).
"""

import os
from pathlib import Path

from jupyter_server.auth.identity import PasswordIdentityProvider
from tornado.websocket import WebSocketHandler

c = get_config()  # noqa: F821 (given by traitlets to a config file)

HERE = Path(__file__).resolve().parent
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    filter(None, [str(HERE), os.environ.get("JUPYTER_PATH")]))
c.VoilaConfiguration.template = "salesplay"


class XsrfCookieIdentityProvider(PasswordIdentityProvider):
    """The default identity provider that also gives every page the ``_xsrf`` cookie.

    A Voila page shuts its kernel down as it closes by a POST that must carry this cookie's
    value; without it the request is refused and the kernel stays.
    """

    async def _get_user(self, handler):
        user = await super()._get_user(handler)
        if handler.request.method == "GET" and not isinstance(handler, WebSocketHandler):
            handler.current_user = user  # what prepare() sets next; the token below reads it
            handler.xsrf_token  # noqa: B018 (tornado sets the cookie when it first gives the token)
        return user


c.Voila.identity_provider_class = XsrfCookieIdentityProvider

# A kernel no page is connected to is shut down after idling this long (make dashboard: CULL_SECONDS).
c.MappingKernelManager.cull_idle_timeout = 120
c.MappingKernelManager.cull_interval = 30
c.MappingKernelManager.cull_connected = False
