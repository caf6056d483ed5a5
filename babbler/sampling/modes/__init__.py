"""The sampling modes: every module here (or a plugin) that declares `MODE = Mode(...)` is one
(`babbler.sampling.modes.registry`); systems name them. `resynth` keeps the real tracks, `selfplay` generates both
speakers, `continuation` both after a real prompt, `listen` one speaker beside the real other."""
