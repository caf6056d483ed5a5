"""Stage `render`: generated 50 Hz tracks in, audio out. A voice turns a speaker's frame tracks (VA, F0, intensity)
into a waveform; trainable voices learn it from the corpus's own recordings.

Every module here that declares `VOICE = Voice(...)` is a voice; `babbler.voices.registry.VOICES` lists them.
"""
