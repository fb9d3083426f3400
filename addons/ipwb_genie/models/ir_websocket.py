# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import re

from odoo import models
from odoo.exceptions import AccessError

#: what the run form's live view subscribes to: ``ipwb_agent_run:<id>``
RUN_CHANNEL = re.compile(r"^ipwb_agent_run:(\d{1,18})$")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Subscribe the client to the progress of the agent runs it asked for, among those
        the user may read (others are silently left out, as for unknown channels)."""
        channels = list(channels)
        channels.extend(self._ipwb_agent_run_channels(channels))
        return super()._build_bus_channel_list(channels)

    def _ipwb_agent_run_channels(self, channels):
        """The runs named by ``ipwb_agent_run:<id>`` channels that the user may read."""
        if not self.env.uid or self.env.user._is_public():
            return []
        matches = (RUN_CHANNEL.match(c) for c in channels if isinstance(c, str))
        wanted = [int(match[1]) for match in matches if match]
        readable = []
        for run in self.env["ipwb.agent.run"].browse(wanted).exists():
            try:
                run.check_access("read")
            except AccessError:
                continue
            readable.append(run)
        return readable
