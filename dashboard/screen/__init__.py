"""The command-hall big screen: URL/config parsing, data gathering and panel builders.

The page layout is ``dashboard/pages/screen.py``; its callbacks are ``dashboard/callbacks/screen.py``.
"""
