"""Rasa-side code of the Akyikatchy assistant: language choice, NLG, channels."""
