"""Voices: renderers that turn a speaker's frame tracks (VA, F0, intensity) into a waveform.

Every module here that declares `VOICE = Voice(...)` is a voice; `babbler.voices.registry.VOICES` lists them.
"""

from babbler.voices.source_filter import SpeakerVoice, Tracks, render_source_filter

__all__ = ["SpeakerVoice", "Tracks", "render_source_filter"]
