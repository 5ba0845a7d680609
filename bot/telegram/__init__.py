"""The Telegram adapter on python-telegram-bot: commands, pasted bounces and alerts."""
