"""Babble synthesis at the signal level, below every stage that makes sound: the harmonic + noise source-filter
synthesizer and the close-talk stereo mix, shared by the demo corpus and the voices."""
