"""Pure Python shared by every process: the appeal's shape, the language rules, the validators.

Nothing here imports ``rasa``, ``rasa_sdk``, ``sqlalchemy`` or ``telegram`` (tests/test_layering.py).
"""
