"""Voices: renderers that turn a speaker's frame tracks (VA, F0, intensity) into a waveform."""

from babbler.voices.source_filter import SpeakerVoice, Tracks, render_source_filter

__all__ = ["SpeakerVoice", "Tracks", "render_source_filter"]
