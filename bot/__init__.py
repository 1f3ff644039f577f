"""DTPC-NMI member bot: the application around the chat protocol and its engines."""
