"""Stages `mono` and `prosody`: a corpus's stereo WAV in, one mono track per speaker, then per speaker 10 ms F0,
intensity and voice activity (Parselmouth and a VAD) out as a parquet."""
