"""Engines connect the chat protocol to a platform: aiogram, python-telegram-bot, a console."""
