"""Who may use the bot in Slack: allowed workspaces, channels and users from the settings."""

from __future__ import annotations

from bot.config import Settings
from bot.slack.events import Incoming


def refusal(settings: Settings, inc: Incoming) -> tuple[str, dict[str, str]] | None:
    """The text key and values saying why `inc` is refused, or None when it is allowed."""
    if settings.slack_allowed_teams and inc.team not in settings.slack_allowed_teams:
        return "slack.refused.team", {"team": inc.team or "?"}
    if settings.slack_allowed_channels and inc.channel not in settings.slack_allowed_channels:
        return "slack.refused.channel", {"channel": inc.channel}
    if settings.slack_allowed_users and inc.user not in settings.slack_allowed_users:
        return "slack.refused.user", {"user": inc.user}
    return None
