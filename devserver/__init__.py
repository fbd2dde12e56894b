"""Start the assistant's processes (action server, Rasa) on loopback, for people and tests.

A package of its own because ``make run``, ``make bench``, ``make telegram`` and the
end-to-end tests all start the servers the same way, and ``scripts/`` (tools people run)
is imported by nothing.
"""
