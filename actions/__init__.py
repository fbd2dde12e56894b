"""Custom actions of the Akyikatchy assistant (run by `rasa run actions`)."""
